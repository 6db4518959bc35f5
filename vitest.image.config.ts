import { defineConfig } from 'vitest/config';

/**
 * The image suite (`npm run test:image`): builds every strategy's generated Dockerfile with podman
 * and runs it. Slow (minutes on a fresh machine), so `npm test` does not run it; .ci/run does.
 * One file at a time: the containers share the host's network, and builds are heavy on 2 cores.
 */
export default defineConfig({
  test: {
    include: ['test-image/**/*.test.ts'],
    globalSetup: ['test-image/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
