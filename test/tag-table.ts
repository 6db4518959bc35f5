/** The image tags BOOKWORM_LINES stands for, as the Dockerfile writes them (build and final stages). */
import { BOOKWORM_LINES, RUNTIME_INFO } from '../src/runtimes.js';

type Tabled = keyof typeof BOOKWORM_LINES;

/** The image tags of the table, as the Dockerfile writes them (build and final stage). */
export function tabledImages(): Set<string> {
  const images = new Set<string>(['debian:bookworm-slim', 'nginx:1.27-bookworm']);
  for (const runtime of Object.keys(BOOKWORM_LINES) as Tabled[]) {
    const info = RUNTIME_INFO[runtime];
    for (const line of BOOKWORM_LINES[runtime]) {
      if (info.buildImage) images.add(info.buildImage(line));
      images.add(info.runImage(line));
    }
  }
  return images;
}
