import path from 'node:path';
import prompts, { type PromptObject } from 'prompts';
import { pc } from './colors.js';
export { canPrompt } from './terminal.js';
import { fitLine, wrapText } from './terminal.js';
import { CancelledError } from './errors.js';
import { defaultAppName, EXAMPLE_PROCESSES, NO_PORT } from './plan.js';
import { listening, portOf } from './import.js';
import { splitWords } from './shell-words.js';
import { staticDirsIn, suggestedStatics } from './statics.js';
import { DEFAULT_STRATEGY, isStrategyName, recommendStrategy, STRATEGIES, STRATEGY_NAMES } from './strategies/index.js';
import type { Answers, Project, StrategyName } from './types.js';
import { checkApp, checkCommand, checkName, checkPort, checkRegion } from './validate.js';

/** A question, named so that an injected prompt (tests: mockPrompt) answers it by name. */
export type Question = PromptObject & { name: string };
/** Asks one question, returns the raw answer; throws CancelledError on Ctrl-C. */
export type Prompt = (question: Question) => Promise<unknown>;

/** Where the wizard writes its own lines (prompts draws on stdout too), and how it asks (prompts by default). */
export interface WizardOutput {
  write(text: string): unknown;
  prompt?: Prompt;
}

/** prompts on the terminal. */
const terminalPrompt: Prompt = async (question) => {
  const response = await prompts({ ...question, name: 'value' } as PromptObject, {
    onCancel: () => {
      throw new CancelledError();
    },
  });
  // prompts does not erase a validation message that wrapped onto a second line: clear below the cursor.
  if (process.stdout.isTTY) process.stdout.write('\x1b[J');
  return response.value;
};

/** A process the project already declares (an existing Procfile or fly.toml), offered as the default. */
export interface DetectedProcess {
  name: string;
  command: string;
  port?: number;
}

/** A message for the terminal: the wizard's own lines are wrapped to its width (prompts' are fitted). */
export function wizardLine(text: string): string {
  return wrapText(text, process.stdout.isTTY ? process.stdout.columns : undefined);
}

/**
 * An obvious case slip: an answer that fails `check` only because of capitals (region `AMS`, name
 * `Web`) is taken in lowercase, and the wizard says so. `why` ends that note.
 */
export interface Normalise {
  apply: (value: string) => string;
  why: string;
}
export function lowercaseSlip(check: (value: string) => string | undefined, why: string): Normalise {
  return {
    why,
    apply: (value) => {
      const trimmed = (value ?? '').trim();
      const lower = trimmed.toLowerCase();
      return lower !== trimmed && check(trimmed) !== undefined && check(lower) === undefined ? lower : value;
    },
  };
}

/**
 * Ask one question until the answer passes `check`. prompts validates while typing, but injected
 * answers (tests, prompts.inject) skip that, so every answer is checked again here. The message
 * prompts shows is fitted to one terminal line (it leaves copies of a wrapped one on the screen);
 * the full message is printed if the answer still fails after the prompt closed.
 */
async function ask<T>(
  question: Question,
  out: WizardOutput,
  check?: (value: T) => string | undefined,
  normalise?: Normalise,
): Promise<T> {
  const fix = (v: T): T => (normalise && typeof v === 'string' ? (normalise.apply(v) as T) : v);
  const prompt = out.prompt ?? terminalPrompt;
  for (;;) {
    const answer = await prompt({
      ...question,
      ...(check
        ? {
            validate: (v: T) => {
              const problem = check(fix(v));
              return problem === undefined ? true : fitLine(problem, process.stdout.columns);
            },
          }
        : {}),
    });
    const raw = answer as T;
    const value = fix(raw);
    const problem = check?.(value);
    if (!problem) {
      if (value !== raw)
        out.write(
          pc.dim(
            `${wizardLine(`  ${JSON.stringify(String(raw).trim())} taken as ${JSON.stringify(value)}: ${normalise!.why}`)}\n`,
          ),
        );
      return value;
    }
    out.write(`${pc.red('✖')}${wizardLine(`✖ ${problem}`).slice(1)}\n`);
  }
}

/** The answers Enter gives: they recommend the strategy --yes takes (process-groups), so both agree. */
export const ENTER_THROUGH = { separate: true, inPlace: false } as const;

/** The strategy the answers point to, and why (the registry decides: src/strategies/index.ts). */
export function recommend(separateScaling: boolean, restartInPlace: boolean): { strategy: StrategyName; why: string } {
  return recommendStrategy({ separate: separateScaling, inPlace: restartInPlace });
}

/**
 * Fill in what flags and detection left open by asking. Returns new answers; the input is not changed.
 * Throws CancelledError on Ctrl-C or Esc.
 */
export async function wizard(
  given: Answers,
  project: Project,
  detected: DetectedProcess[] = [],
  out: WizardOutput = process.stdout,
): Promise<Answers> {
  const answers: Answers = { ...given };
  const runtimeFact = introduce(answers, project, detected, out);
  if (!answers.processes) {
    const exampleOpen = !answers.example && answers.runtime === undefined && project.empty && !detected.length;
    const chosen = detected.length
      ? await useDetected(answers, project, detected, out)
      : project.empty
        ? await offerExample(answers, out, exampleOpen ? runtimeFact : undefined)
        : false;
    if (!chosen) await askEachProcess(answers, out);
  }
  await askHttp(answers, out);
  await askStrategy(answers, out);
  await askOtherPorts(answers, out);
  await askAppAndRegion(answers, project, out);
  if (project.dockerfileInfo && answers.dockerfile === undefined)
    answers.dockerfile = await askDockerfile(answers.strategy, project, out);
  await askStrategyOptions(answers, out);
  await askStatics(answers, project, out);
  return answers;
}

/** The header and what was found; returns how to say which runtime the Dockerfile will build. */
function introduce(
  answers: Answers,
  project: Project,
  detected: DetectedProcess[],
  out: WizardOutput,
): (example: boolean | undefined) => string {
  const header = wizardLine(
    'create-fly-multiproc - several processes in one Fly app. Ctrl-C to quit, nothing is written until the end.',
  );
  out.write(`\n${pc.bold(header.slice(0, 20))}${pc.dim(header.slice(20))}\n`);
  // The runtime the Dockerfile will build, as plan() will choose it: --runtime, else the example's
  // (node), else the detected one. In an empty directory that depends on the example question.
  const runtimeFact = (example: boolean | undefined) => {
    if (answers.runtime !== undefined) return `runtime: ${answers.runtime} (--runtime)`;
    if (example) return 'runtime: node (the built-in example)';
    const evidence = project.runtimes?.[project.runtime]?.evidence[0];
    return `runtime: ${project.runtime}${evidence ? ` (${evidence})` : project.runtime === 'generic' ? ' (nothing to build: the Dockerfile copies the directory in)' : ''}`;
  };
  const exampleOpen =
    !answers.processes && !answers.example && answers.runtime === undefined && project.empty && !detected.length;
  const facts = [exampleOpen ? 'an empty directory' : runtimeFact(answers.example)];
  if (project.procfile) facts.push(path.basename(project.procfile.file));
  if (project.flyToml) facts.push(`fly.toml${project.flyToml.app ? ` (app ${project.flyToml.app})` : ''}`);
  if (project.dockerfile) facts.push('a Dockerfile (kept or extended; replaced only if you choose so)');
  if (detected.length) facts.push(`processes found: ${detected.map((p) => p.name).join(', ')}`);
  out.write(pc.dim(`${wizardLine(`Detected in ${project.dir}: ${facts.join('; ')}`)}\n\n`));
  return runtimeFact;
}

/** Offer the processes the project declares; true when they are taken (with their release command and ports). */
async function useDetected(
  answers: Answers,
  project: Project,
  detected: DetectedProcess[],
  out: WizardOutput,
): Promise<boolean> {
  const use = await ask<boolean>(
    {
      name: 'useDetected',
      type: 'confirm',
      message: `Use the processes found in the project (${detected.map((p) => p.name).join(', ')})?`,
      initial: true,
    },
    out,
  );
  if (!use) return false;
  // What the import noticed (a release entry left out, $PORT in a command) would be lost once
  // the processes are answers: say it now.
  const source = project.procfile?.processes.length ? project.procfile : project.flyToml;
  for (const note of source?.notes ?? []) out.write(pc.dim(`  ${note}\n`));
  answers.processes = detected.map((p) => `${p.name}=${p.command}`);
  // A release entry is not a process: it becomes fly.toml's [deploy] release_command.
  const release = project.procfile?.processes.length ? project.procfile.release : project.flyToml?.release;
  if (release && answers.release === undefined) {
    answers.release = release.command;
    out.write(pc.dim(`  ${release.source}: release runs before each deploy as fly.toml's [deploy] release_command\n`));
  }
  answers.ports = [...(answers.ports ?? []), ...(await askDetectedPorts(answers, detected, out))];
  return true;
}

/**
 * A port for every process that listens (port in its command, reads $PORT, or named web), the
 * detected one as the default: a web process nobody can reach is the commonest failure.
 */
async function askDetectedPorts(answers: Answers, detected: DetectedProcess[], out: WizardOutput): Promise<string[]> {
  const flagged = new Set((answers.ports ?? []).map((p) => p.slice(0, p.indexOf('='))));
  const owners = new Map(
    (answers.ports ?? []).map((p) => [Number(p.slice(p.indexOf('=') + 1)), p.slice(0, p.indexOf('='))]),
  );
  const ports: string[] = [];
  for (const p of detected) {
    const listen = listening(p.name, p.command);
    if (flagged.has(p.name) || (p.port === undefined && !listen)) continue;
    let initial = p.port ?? listen?.port ?? 8080;
    while (p.port === undefined && owners.has(initial)) initial++;
    const why = p.port !== undefined && p.port !== portOf(p.command) ? 'from fly.toml' : (listen?.why ?? 'detected');
    const port = await ask<string>(
      {
        name: 'port',
        type: 'text',
        message: `Port ${p.name} listens on ${pc.dim(`(${why}; empty: none)`)}`,
        initial: String(initial),
      },
      out,
      (v) => ((v ?? '').trim() === '' ? undefined : checkPort((v ?? '').trim(), owners.get(Number((v ?? '').trim())))),
    );
    if (port.trim()) {
      ports.push(`${p.name}=${port.trim()}`);
      owners.set(Number(port.trim()), p.name);
    } else if (listen) ports.push(`${p.name}=${NO_PORT}`); // cleared: no port, not the one plan would infer
  }
  return ports;
}

/** An empty directory: offer the built-in example; true when it is taken. */
async function offerExample(
  answers: Answers,
  out: WizardOutput,
  runtimeFact: ((example: boolean) => string) | undefined,
): Promise<boolean> {
  const example = await ask<boolean>(
    {
      name: 'example',
      type: 'confirm',
      message: `This directory is empty. Write the built-in example (${EXAMPLE_PROCESSES.map((p) => p.split('=')[0]).join(' + ')}: one small Node server, two processes)?`,
      initial: true,
    },
    out,
  );
  if (example) answers.example = true;
  if (runtimeFact) out.write(pc.dim(`${wizardLine(runtimeFact(example))}\n`));
  return example;
}

/** Name, command and port of each process, until there are no more. */
async function askEachProcess(answers: Answers, out: WizardOutput): Promise<void> {
  const processes: string[] = [];
  const ports: string[] = [];
  const taken = new Set<string>();
  const portOwners = new Map<number, string>();
  for (let i = 0; ; i++) {
    const nameCheck = (v: string) => checkName((v ?? '').trim(), taken);
    const name = await ask<string>(
      {
        name: 'name',
        type: 'text',
        message: `Process ${i + 1}: name`,
        initial: i === 0 ? 'web' : i === 1 ? 'worker' : '',
      },
      out,
      nameCheck,
      lowercaseSlip(nameCheck, 'process names are lowercase'),
    );
    const trimmed = name.trim();
    taken.add(trimmed);
    const command = await ask<string>(
      { name: 'command', type: 'text', message: `Command that runs ${trimmed}` },
      out,
      (v) => checkCommand((v ?? '').trim()),
    );
    const split = splitWords(command.trim());
    if ('words' in split && split.needsShell)
      out.write(pc.dim(`  uses ${split.needsShell}: it will run under sh -c\n`));
    const port = await ask<string>(
      {
        name: 'port',
        type: 'text',
        message: `Port ${trimmed} listens on ${pc.dim('(empty: none, e.g. a worker)')}`,
        initial: i === 0 ? '8080' : '',
      },
      out,
      (v) =>
        (v ?? '').trim() === '' ? undefined : checkPort((v ?? '').trim(), portOwners.get(Number((v ?? '').trim()))),
    );
    processes.push(`${trimmed}=${command.trim()}`);
    if (port.trim()) {
      ports.push(`${trimmed}=${port.trim()}`);
      portOwners.set(Number(port.trim()), trimmed);
    } else if (listening(trimmed, command.trim())) ports.push(`${trimmed}=${NO_PORT}`); // cleared: a worker, even one named web
    const more = await ask<boolean>(
      { name: 'more', type: 'confirm', message: 'Add another process?', initial: i === 0 },
      out,
    );
    if (!more) break;
  }
  answers.processes = processes;
  answers.ports = [...(answers.ports ?? []), ...ports];
}

/** The processes the answers give a port (a cleared `NAME=none` is none). */
function namesWithPorts(answers: Answers): string[] {
  return (answers.ports ?? []).filter((p) => !p.endsWith(`=${NO_PORT}`)).map((p) => p.slice(0, p.indexOf('=')));
}

/** Which process serves HTTP, when more than one could. */
async function askHttp(answers: Answers, out: WizardOutput): Promise<void> {
  const withPorts = namesWithPorts(answers);
  if (answers.http !== undefined || withPorts.length <= 1) return;
  answers.http = await ask<string>(
    {
      name: 'http',
      type: 'select',
      message: "Which process gets Fly's http_service (public HTTPS on 443)?",
      choices: withPorts.map((n) => ({ title: n, value: n })),
      initial: 0,
    },
    out,
  );
}

/**
 * A second process with a port: a public port other than 80/443 makes the first deploy ask for a
 * dedicated IPv4 (billed), so the choice is the user's (reference/fly-toml.md 1.4).
 */
async function askOtherPorts(answers: Answers, out: WizardOutput): Promise<void> {
  const withPorts = namesWithPorts(answers);
  const writesFlyToml = isStrategyName(answers.strategy) && STRATEGIES[answers.strategy].flyToml;
  if (answers.otherPorts !== undefined || withPorts.length < 2 || !writesFlyToml) return;
  const http = answers.http ?? (withPorts.includes('web') ? 'web' : withPorts[0]);
  const others = withPorts.filter((n) => n !== http).join(', ');
  answers.otherPorts = await ask<string>(
    {
      name: 'otherPorts',
      type: 'select',
      message: `How should ${others} be reached (its port is not 80/443)?`,
      choices: [
        {
          title: 'ipv6',
          value: 'ipv6',
          description: 'free: public over IPv6 and Flycast; IPv4 clients reach only the http_service',
        },
        { title: 'ipv4', value: 'ipv4', description: 'also over a dedicated IPv4 address, billed monthly' },
        {
          title: 'internal',
          value: 'internal',
          description: 'no public port: APP.internal:PORT on the private network only',
        },
      ],
      initial: 0,
    },
    out,
  );
}

/** Two questions about what matters, then the strategy, the registry's recommendation first. */
async function askStrategy(answers: Answers, out: WizardOutput): Promise<void> {
  if (answers.strategy !== undefined) return;
  const processCount = answers.example ? 2 : (answers.processes ?? []).length;
  if (processCount < 2) {
    answers.strategy = DEFAULT_STRATEGY;
    out.write(pc.dim(`One process: it runs with the ${DEFAULT_STRATEGY} strategy.\n`));
    return;
  }
  const separate = await ask<boolean>(
    {
      name: 'separate',
      type: 'confirm',
      message: 'Should the processes scale and restart separately, each on its own Machines?',
      initial: ENTER_THROUGH.separate,
    },
    out,
  );
  const inPlace = separate
    ? false
    : await ask<boolean>(
        {
          name: 'inPlace',
          type: 'confirm',
          message: 'Should a crashed process be restarted on its own, without restarting the Machine?',
          initial: ENTER_THROUGH.inPlace,
        },
        out,
      );
  const { strategy, why } = recommend(separate, inPlace);
  answers.strategy = await ask<string>(
    {
      name: 'strategy',
      type: 'select',
      message: 'How should the processes run?',
      hint: `recommended: ${strategy} (${why})`,
      choices: STRATEGY_NAMES.map((name) => ({
        title: name === strategy ? `${name} ${pc.green('(recommended)')}` : name,
        value: name,
        description: STRATEGIES[name].summary,
      })),
      initial: STRATEGY_NAMES.indexOf(strategy),
    },
    out,
  );
}

/** App name and region; an existing fly.toml's are the defaults (fly launch chose them). */
async function askAppAndRegion(answers: Answers, project: Project, out: WizardOutput): Promise<void> {
  if (answers.app === undefined) {
    const initial = project.flyToml?.app ?? defaultAppName(project.dir);
    const appCheck = (v: string) => checkApp((v ?? '').trim());
    answers.app = (
      await ask<string>(
        { name: 'app', type: 'text', message: 'Fly app name', initial },
        out,
        appCheck,
        lowercaseSlip(appCheck, 'Fly app names are lowercase'),
      )
    ).trim();
  }
  if (answers.region !== undefined) return;
  const regionCheck = (v: string) => ((v ?? '').trim() === '' ? undefined : checkRegion((v ?? '').trim()));
  const region = await ask<string>(
    {
      name: 'region',
      type: 'text',
      message: `Primary region ${pc.dim('(e.g. ams, iad, syd; empty: fly launch asks)')}`,
      initial: project.flyToml?.region ?? '',
    },
    out,
    regionCheck,
    lowercaseSlip(regionCheck, 'Fly region codes are lowercase'),
  );
  if (region.trim()) answers.region = region.trim();
}

/** The chosen strategy's own options (the Procfile manager), from its module. */
async function askStrategyOptions(answers: Answers, out: WizardOutput): Promise<void> {
  for (const option of (isStrategyName(answers.strategy) ? STRATEGIES[answers.strategy].options : undefined) ?? []) {
    if (answers[option.key] !== undefined) continue;
    answers[option.key] = await ask<string>(
      {
        name: option.key,
        type: 'select',
        message: option.question,
        choices: option.choices.map((c) => ({ title: c, value: c, description: option.describe[c] })),
        initial: Math.max(0, option.choices.indexOf(option.default)),
      },
      out,
    );
  }
}

/** What to do with the project's own Dockerfile; replace says what it would lose. */
async function askDockerfile(strategy: string | undefined, project: Project, out: WizardOutput): Promise<string> {
  const info = project.dockerfileInfo!;
  const chosen = isStrategyName(strategy) ? STRATEGIES[strategy] : undefined;
  const groups = Boolean(chosen?.runsWithKeptDockerfile);
  const noShell = info.facts?.family === 'none';
  const lost = info.loses.length ? info.loses.join('; ') : 'whatever it does that the generated one does not';
  const choices = [
    {
      title: 'keep',
      value: 'keep',
      description: groups
        ? `${chosen?.keepDescription ?? 'unchanged: Fly runs each command through your ENTRYPOINT'}${info.entrypoint && info.entrypoint.verdict !== 'none' && info.entrypoint.verdict !== 'passes' ? ` (check it: ${info.entrypoint.message})` : ''}`
        : 'unchanged: you wire entrypoint.sh in yourself',
    },
    ...(noShell
      ? []
      : [
          {
            title: 'extend',
            value: 'extend',
            description: `every line of yours kept; a marked block at the end of the final stage installs what ${strategy} needs and makes entrypoint.sh the ENTRYPOINT`,
          },
        ]),
    {
      title: 'replace',
      value: 'replace',
      description: `a generated Dockerfile instead of yours, which loses: ${lost}`,
    },
  ];
  const recommended = groups || noShell ? 'keep' : 'extend';
  out.write(
    pc.dim(`${wizardLine(`${info.file} is yours: ${lost}. extend keeps all of it; replace would lose it.`)}\n`),
  );
  return ask<string>(
    {
      name: 'dockerfile',
      type: 'select',
      message: `Your Dockerfile (${info.file}): what should happen to it?`,
      hint: `recommended: ${recommended}`,
      choices: choices.map((c) => ({
        ...c,
        title: c.value === recommended ? `${c.title} ${pc.green('(recommended)')}` : c.title,
      })),
      initial: choices.findIndex((c) => c.value === recommended),
    },
    out,
  );
}

/**
 * Offered when a process is public and the project has an obvious static directory: Fly's proxy
 * serves it from the image (fly.toml [[statics]]), so no process has to. The directory is given
 * relative, so it lands in the image's app directory (an extended Dockerfile's WORKDIR too).
 */
async function askStatics(answers: Answers, project: Project, out: WizardOutput): Promise<void> {
  const public_ = namesWithPorts(answers).length > 0 || answers.example;
  if (answers.statics !== undefined || !public_) return;
  const [offer] = suggestedStatics(staticDirsIn(project.dir), '.');
  if (!offer) return;
  const dir = offer.guestPath.replace(/^\.\//, '');
  const serve = await ask<boolean>(
    {
      name: 'statics',
      type: 'confirm',
      message: `Let Fly's proxy serve ${dir}/ at ${offer.urlPrefix} from the image (fly.toml [[statics]]; files it lacks go on to the app)?`,
      initial: false,
    },
    out,
  );
  if (serve) answers.statics = [`${offer.urlPrefix}=${dir}`];
}

/** Ask before writing: yes to write, no (or Ctrl-C) to cancel. */
export async function confirmWrite(count: number, out: WizardOutput = process.stdout): Promise<void> {
  const ok = await ask<boolean>(
    { name: 'write', type: 'confirm', message: `Write ${count} file${count === 1 ? '' : 's'}?`, initial: true },
    out,
  );
  if (!ok) throw new CancelledError();
}
