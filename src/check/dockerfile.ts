/** Dockerfile rules: how the final stage starts the Machine's main process, and what it installs. */
import { runInstructions, type Dockerfile, type Instruction, type Stage } from './setup.js';
import type { Reporter } from './types.js';

/** The final stage and the stages it is built FROM (FROM base AS x ... FROM x). */
export function finalChain(d: Dockerfile): Stage[] {
  const chain: Stage[] = [];
  let stage = d.stages.at(-1);
  while (stage && !chain.includes(stage)) {
    chain.unshift(stage);
    const image = stage.image;
    stage = d.stages.find((s) => s.name && s.name.toLowerCase() === image.toLowerCase());
  }
  return chain;
}

/** Instructions of the final image, its parent stages included. */
export const finalInstructions = (d: Dockerfile): Instruction[] => finalChain(d).flatMap((s) => s.instructions);
export const baseImage = (d: Dockerfile): string => finalChain(d)[0]?.image ?? '';

/** Does the final image get this program (a package install, a COPY --from, a download)? */
export function installs(
  d: Dockerfile,
  program: 'supervisord' | 'overmind' | 'hivemind' | 'tmux' | 'bash' | 'foreman' | 'honcho',
): boolean {
  const base = baseImage(d).toLowerCase();
  const pkg = {
    supervisord: 'supervisor',
    overmind: 'overmind',
    hivemind: 'hivemind',
    tmux: 'tmux',
    bash: 'bash',
    foreman: 'foreman',
    honcho: 'honcho',
  }[program];
  if (base.includes(pkg)) return true;
  if (program === 'bash' && !/alpine|busybox|distroless|scratch|chainguard|wolfi/.test(base)) return true;
  for (const ins of finalInstructions(d)) {
    const text = ins.raw;
    if (ins.keyword === 'RUN') {
      if (
        new RegExp(
          `\\b(apt-get|apt|apk|yum|dnf|microdnf|pip3?|uv|pipx|gem|go|brew|npm)\\b[^\\n]*\\b(install|add)\\b[^\\n]*[\\s/]${pkg}\\b`,
        ).test(text)
      )
        return true;
      if (program === 'tmux' && /\bgem\b[^\n]*\binstall\b[^\n]*\bovermind\b/.test(text)) return true; // the overmind gem bundles tmux
      if (program !== 'bash' && new RegExp(`\\b(curl|wget|ADD)\\b[^\\n]*${pkg}`).test(text)) return true;
    }
    if ((ins.keyword === 'COPY' || ins.keyword === 'ADD') && new RegExp(`\\b${pkg}\\b`).test(text)) return true;
  }
  return false;
}

export function checkDockerfile(
  d: Dockerfile,
  out: Reporter,
  context: { groupCommands: boolean; cmdReplaced: boolean },
): void {
  const { entrypoint, cmd } = runInstructions(d);
  if (entrypoint && !entrypoint.exec && entrypoint.raw.trim()) {
    const execs = /^exec\s/.test(entrypoint.raw.trim());
    out.report(
      'dockerfile/shell-form-entrypoint',
      d.path,
      entrypoint.line,
      `ENTRYPOINT ${entrypoint.raw.trim()}${execs ? ' (exec passes the signal on, but CMD and every [processes] command are still ignored)' : ''}`,
      execs && !context.groupCommands ? { severity: 'warning' } : {},
    );
  }
  if (
    cmd &&
    !cmd.exec &&
    cmd.raw.trim() &&
    !/^exec\s/.test(cmd.raw.trim()) &&
    !(entrypoint && !entrypoint.exec) &&
    !context.cmdReplaced
  ) {
    out.report('dockerfile/shell-form-cmd', d.path, cmd.line, `CMD ${cmd.raw.trim()}`);
  }
}

/** Files the final image makes executable for their owner only, and the last USER. */
export function finalUser(d: Dockerfile): {
  user?: string;
  line?: number;
  ownerOnly: { path: string; line: number }[];
} {
  let user: string | undefined;
  let line: number | undefined;
  const ownerOnly: { path: string; line: number }[] = [];
  for (const ins of finalInstructions(d)) {
    if (ins.keyword === 'USER') {
      user = ins.args[0];
      line = ins.line;
    }
    if (ins.keyword === 'RUN') {
      for (const m of ins.raw.matchAll(/\bchmod\s+(?:-\w+\s+)?(u\+x|u\+rwx|0?[1-7][0-7][0246])\s+([^&;|]+)/g)) {
        for (const p of m[2]!.trim().split(/\s+/)) ownerOnly.push({ path: p, line: ins.line });
      }
    }
  }
  return { ...(user ? { user } : {}), ...(line ? { line } : {}), ownerOnly };
}
