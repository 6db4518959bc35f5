/**
 * Reading a user's Dockerfile the way a build reads it: stages, the final stage's base image and its
 * OS family, the effective USER, WORKDIR, ENTRYPOINT and CMD (inherited through `FROM <stage>`),
 * with ARG and ENV values substituted where the file gives them. Plain functions over text, so the
 * `check` command can reuse them. dockerfile-ast is only loaded with this module (see index.ts).
 */
import {
  DockerfileParser,
  type Arg,
  type Env,
  type From,
  type Instruction,
  type JSONInstruction,
} from 'dockerfile-ast';

/** Debian or Ubuntu (apt-get), Alpine (apk), or no shell and package manager at all (scratch, distroless). */
export type BaseFamily = 'debian' | 'alpine' | 'none';

export interface Located<T> {
  value: T;
  /** 1-based line of the instruction in the file. */
  line: number;
}

export interface CommandForm {
  form: 'exec' | 'shell';
  /** exec form: the JSON strings; shell form: the one command line. */
  argv: string[];
  /** The instruction as written (continuation lines joined), for messages. */
  text: string;
  line: number;
}

export interface StageFacts {
  index: number;
  /** The FROM image as written. */
  image: string;
  /** ... with ARGs substituted (as far as the file gives their values). */
  resolvedImage: string;
  name?: string;
  /** 1-based line of FROM, and the last line of the stage (blank lines and comments before the next FROM excluded). */
  fromLine: number;
  endLine: number;
  /** The earlier stage this one builds on (`FROM base`). */
  parent?: number;
}

export interface DockerfileFacts {
  stages: StageFacts[];
  /** The final stage: the image Fly runs. */
  final: StageFacts;
  /** The image the final stage starts from, through `FROM <stage>` chains. */
  baseImage: string;
  family: BaseFamily;
  /** How family was found: the image name, or the package manager its RUN lines use, or a guess. */
  familyEvidence: string;
  /** The effective USER of the final stage, if any stage in its chain sets one: as written (raw) and with variables substituted (value). */
  user?: Located<string> & { raw: string };
  /** The user is not root (so the owned block installs as root and switches back). */
  nonRootUser: boolean;
  /** The effective WORKDIR (default /), or undefined when it uses a variable the file does not set. */
  workdir?: string;
  workdirText: string;
  entrypoint?: CommandForm;
  cmd?: CommandForm;
  /** The file uses CRLF line endings. */
  crlf: boolean;
  /** The escape character (`# escape=` directive; `\\` by default). */
  escape: string;
}

export class DockerfileError extends Error {}

/** dockerfile-ast takes ~100 ms per parse of a fly launch Dockerfile here: one parse per text, shared by the readers below. */
let lastParse: { text: string; parsed: ReturnType<typeof DockerfileParser.parse> } | undefined;
export function parseDockerfile(text: string): ReturnType<typeof DockerfileParser.parse> {
  if (lastParse?.text !== text) lastParse = { text, parsed: DockerfileParser.parse(text) };
  return lastParse.parsed;
}

/** $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:+x} as the Dockerfile frontend expands them; undefined when a variable is unknown. */
export function expand(text: string, vars: ReadonlyMap<string, string>): string | undefined {
  let unknown = false;
  const out = text.replace(
    /\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced, op, word, bare) => {
      if (whole === '\\$') return '$';
      const name = braced ?? bare;
      const value = vars.get(name);
      if (op === ':-' || op === '-') return value !== undefined && (op === '-' || value !== '') ? value : word;
      if (op === ':+' || op === '+') return value !== undefined && (op === '+' || value !== '') ? word : '';
      if (value === undefined) {
        unknown = true;
        return whole;
      }
      return value;
    },
  );
  return unknown ? undefined : out;
}

const unquote = (s: string) =>
  s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))
    ? s.slice(1, -1)
    : s;

/** Official images (and others) built on Debian when the tag names no other family. */
const DEBIAN_IMAGES = new Set([
  'debian',
  'ubuntu',
  'node',
  'ruby',
  'python',
  'golang',
  'rust',
  'php',
  'perl',
  'elixir',
  'erlang',
  'openjdk',
  'eclipse-temurin',
  'buildpack-deps',
  'oven/bun',
  'denoland/deno',
  'hexpm/elixir',
  'hexpm/erlang',
  'nginx',
  'httpd',
  'caddy',
]);

/** The family an image name and tag tell, if they do. */
export function familyOfImage(image: string): BaseFamily | undefined {
  const ref = image.toLowerCase().replace(/@sha256:[a-f0-9]+$/, '');
  const slash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', slash + 1);
  const name = colon < 0 ? ref : ref.slice(0, colon);
  const tag = colon < 0 ? '' : ref.slice(colon + 1);
  const short = name
    .replace(/^(docker\.io\/|registry\.docker\.com\/|registry-1\.docker\.io\/)/, '')
    .replace(/^library\//, '');
  if (
    short === 'scratch' ||
    /(^|\/)distroless\//.test(short) ||
    /(^|[-/])distroless/.test(short) ||
    /^cgr\.dev\/chainguard\/static/.test(short)
  )
    return 'none';
  if (/(^|\/)alpine$/.test(short) || /(^|[-._])alpine/.test(tag)) return 'alpine';
  if (
    /(^|[-._])(bookworm|bullseye|buster|stretch|trixie|jammy|noble|focal|bionic|slim|debian|ubuntu)/.test(tag) ||
    /(^|\/)(debian|ubuntu)$/.test(short)
  )
    return 'debian';
  if (DEBIAN_IMAGES.has(short) && !/(windows|nanoserver|servercore)/.test(tag)) return 'debian';
  return undefined;
}

interface StageState {
  vars: Map<string, string>;
  user?: Located<string> & { raw: string };
  workdir?: string;
  workdirText: string;
  entrypoint?: CommandForm;
  cmd?: CommandForm;
  packageManager?: 'apt-get' | 'apk';
}

function commandForm(instruction: Instruction, lines: string[]): CommandForm {
  const json = instruction as JSONInstruction;
  const range = instruction.getRange();
  const text = lines
    .slice(range.start.line, range.end.line + 1)
    .map((l) => l.replace(/\\\s*$/, '').trim())
    .join(' ')
    .trim();
  const line = range.start.line + 1;
  if (json.getOpeningBracket() !== null && json.getClosingBracket() !== null) {
    return { form: 'exec', argv: json.getJSONStrings().map((s) => s.getJSONValue()), text, line };
  }
  return { form: 'shell', argv: [instruction.getArgumentsContent() ?? ''], text, line };
}

/** One instruction of a stage, applied to what that stage has so far (ARG, ENV, USER, WORKDIR, ENTRYPOINT, CMD, RUN). */
function applyInstruction(
  state: StageState,
  instruction: Instruction,
  context: { lines: string[]; globals: ReadonlyMap<string, string>; stageFrom: number },
): void {
  const { lines, globals } = context;
  const keyword = instruction.getKeyword();
  const line = instruction.getRange().start.line + 1;
  switch (keyword) {
    case 'ARG': {
      const property = (instruction as Arg).getProperty();
      if (!property) break;
      const value = property.getValue();
      const name = property.getName();
      if (value != null) state.vars.set(name, expand(value, state.vars) ?? value);
      else if (globals.has(name) && !state.vars.has(name)) state.vars.set(name, globals.get(name)!);
      break;
    }
    case 'ENV':
      for (const property of (instruction as Env).getProperties()) {
        const value = property.getValue();
        if (value == null) continue;
        const expanded = expand(value, state.vars);
        if (expanded === undefined) state.vars.delete(property.getName());
        else state.vars.set(property.getName(), expanded);
      }
      break;
    case 'USER': {
      const raw = (instruction.getArgumentsContent() ?? '').trim();
      state.user = { value: expand(raw, state.vars) ?? raw, raw, line };
      break;
    }
    case 'WORKDIR': {
      const raw = unquote((instruction.getArgumentsContent() ?? '').trim());
      const value = expand(raw, state.vars);
      const previous = state.workdir;
      state.workdirText = raw.startsWith('/') ? raw : `${state.workdirText.replace(/\/$/, '')}/${raw}`;
      if (value === undefined || previous === undefined)
        state.workdir = value !== undefined && value.startsWith('/') ? value : undefined;
      else state.workdir = value.startsWith('/') ? value : `${previous.replace(/\/$/, '')}/${value}`;
      if (state.workdir) state.workdir = state.workdir.replace(/\/+$/, '') || '/';
      break;
    }
    case 'ENTRYPOINT':
      state.entrypoint = commandForm(instruction, lines);
      // Docker resets an inherited CMD when a stage sets ENTRYPOINT (a CMD set in the same stage stays).
      if (state.cmd && state.cmd.line < context.stageFrom) delete state.cmd;
      break;
    case 'CMD':
      state.cmd = commandForm(instruction, lines);
      break;
    case 'RUN': {
      const args = instruction.getArgumentsContent() ?? '';
      if (/\bapk\s+(add|update|upgrade)\b/.test(args)) state.packageManager = 'apk';
      else if (/\b(apt-get|apt)\s+(-\S+\s+)*(install|update)\b/.test(args)) state.packageManager = 'apt-get';
      break;
    }
    default:
  }
}

/** The OS family of the base image: from its name, else from the package manager the chain's RUN lines use, else a guess. */
function familyOfChain(
  baseImage: string,
  chain: StageFacts[],
  states: StageState[],
): { family: BaseFamily; familyEvidence: string } {
  let family = familyOfImage(baseImage);
  let familyEvidence = family ? `the image ${baseImage}` : '';
  if (!family) {
    const used = chain
      .map((s) => states[s.index]!.packageManager)
      .filter(Boolean)
      .at(-1);
    if (used) {
      family = used === 'apk' ? 'alpine' : 'debian';
      familyEvidence = `its RUN lines use ${used}`;
    } else {
      family = 'debian';
      familyEvidence = `a guess: nothing in ${baseImage} or its RUN lines tells; Debian and Ubuntu are the most common`;
    }
  }
  return { family, familyEvidence };
}
/** Read a Dockerfile's text. Throws DockerfileError when it has no FROM. */
export function readDockerfile(text: string): DockerfileFacts {
  const dockerfile = parseDockerfile(text);
  const lines = text.split(/\r?\n/);
  const globals = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs() as Arg[]) {
    const property = arg.getProperty();
    if (property?.getValue() != null) globals.set(property.getName(), property.getValue()!);
  }
  const stages: StageFacts[] = [];
  const states: StageState[] = [];
  const byName = new Map<string, number>();
  let state: StageState | undefined;
  let lastLine = 0;
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const range = instruction.getRange();
    const line = range.start.line + 1;
    if (keyword === 'FROM') {
      const from = instruction as From;
      const image = from.getImage() ?? '';
      const resolved = expand(image, globals) ?? image;
      const parent = byName.get(resolved.toLowerCase());
      const stage: StageFacts = {
        index: stages.length,
        image,
        resolvedImage: resolved,
        fromLine: line,
        endLine: range.end.line + 1,
        ...(parent !== undefined ? { parent } : {}),
      };
      const name = from.getBuildStage();
      if (name) {
        stage.name = name;
        byName.set(name.toLowerCase(), stage.index);
      }
      stages.push(stage);
      const inherited = parent !== undefined ? states[parent]! : undefined;
      state = inherited
        ? { ...inherited, vars: new Map(inherited.vars) }
        : { vars: new Map(), workdir: '/', workdirText: '/' };
      // ARGs are per stage: only ENV values are inherited from the parent stage's image.
      states.push(state);
      lastLine = range.end.line + 1;
      continue;
    }
    if (!state) continue; // ARG before the first FROM (read above), or a stray instruction
    stages.at(-1)!.endLine = range.end.line + 1;
    lastLine = range.end.line + 1;
    applyInstruction(state, instruction, { lines, globals, stageFrom: stages.at(-1)!.fromLine });
  }
  void lastLine;
  if (!stages.length || !state)
    throw new DockerfileError('no FROM instruction: this is not a Dockerfile a build can use');

  const final = stages.at(-1)!;
  const chain: StageFacts[] = [];
  for (let s: StageFacts | undefined = final; s; s = s.parent !== undefined ? stages[s.parent] : undefined)
    chain.unshift(s);
  const root = chain[0]!;
  const baseImage = root.resolvedImage;
  const { family, familyEvidence } = familyOfChain(baseImage, chain, states);
  const last = states[final.index]!;
  const userValue = last.user?.value;
  const nonRootUser = userValue !== undefined && !/^(root|0)(:(root|0))?$/.test(userValue);
  return {
    stages,
    final,
    baseImage,
    family,
    familyEvidence,
    ...(last.user ? { user: last.user } : {}),
    nonRootUser,
    ...(last.workdir !== undefined ? { workdir: last.workdir } : {}),
    workdirText: last.workdirText,
    ...(last.entrypoint ? { entrypoint: last.entrypoint } : {}),
    ...(last.cmd ? { cmd: last.cmd } : {}),
    crlf: /\r\n/.test(text),
    escape: dockerfile.getEscapeCharacter(),
  };
}

export type EntrypointVerdict = 'none' | 'passes' | 'fails' | 'unknown';

export interface EntrypointCheck {
  verdict: EntrypointVerdict;
  /** What was found, with file:line. */
  message: string;
  /** What to change, when it does not pass its arguments on. */
  fix?: string;
  /** The project file that holds the entrypoint script, when it was found. */
  script?: string;
}

/** Programs that run the command they are given (`tini -- cmd`, `gosu user cmd`, ...). */
const WRAPPERS = new Set([
  'tini',
  'tini-static',
  'dumb-init',
  'docker-entrypoint.sh',
  'docker-entrypoint',
  'su-exec',
  'gosu',
  'catatonit',
  'env',
  'exec',
  'chpst',
  'setpriv',
  'nice',
  'timeout',
  'tini-static-amd64',
]);

/** Interpreters whose first argument is the program they run. */
const INTERPRETERS = /^(node|nodejs|python[0-9.]*|ruby|bun|deno|perl|php)$/;

/** A script runs its arguments: shell `"$@"`, Node `process.argv.slice(2)`, Ruby `ARGV`, Python `sys.argv[1:]`. */
const RUNS_ARGS =
  /"\$@"|"\$\{@\}"|\$\{@\}|\bexec\s+\$@|process\.argv\.slice\(2\)|\bexec\(\*?ARGV\)|\bsystem\(\*ARGV\)|\bsys\.argv\[1:\]|os\.execvp?\([^)]*sys\.argv/;

/**
 * Does the final stage's ENTRYPOINT run the command Fly gives it? Fly runs each process group's
 * command in place of CMD, keeping ENTRYPOINT: the command arrives as the ENTRYPOINT's arguments.
 * `readProjectFile(rel)` reads a file of the project (undefined when there is none).
 */
export function checkEntrypoint(
  facts: DockerfileFacts,
  file: string,
  readProjectFile: (rel: string) => string | undefined,
): EntrypointCheck {
  const ep = facts.entrypoint;
  if (!ep) {
    return {
      verdict: 'none',
      message: `${file}: no ENTRYPOINT in the final stage, so Fly runs each process group's command as it is (an ENTRYPOINT of the base image ${facts.baseImage} still applies; the official images' docker-entrypoint.sh passes its arguments on)`,
    };
  }
  const at = `${file}:${ep.line}`;
  const suggestion = `or run again with --dockerfile extend, which adds entrypoint.sh (it ends with exec "$@") as the ENTRYPOINT in a marked block of your Dockerfile`;
  if (ep.form === 'shell') {
    return {
      verdict: 'fails',
      message: `${at}: \`${ep.text}\` is in shell form: Docker runs it as /bin/sh -c "${ep.argv[0]}" and drops the arguments, so every process group would run this same command`,
      fix: `write it in exec form, as a script that ends with exec "$@" (for example ENTRYPOINT ["${ep.argv[0]!.split(/\s+/)[0]}"]) ${suggestion}`,
    };
  }
  const argv = ep.argv;
  const program = argv[0] ?? '';
  const base = program.split('/').pop() ?? '';
  const shown = JSON.stringify(argv);
  if (argv.at(-1) === '--')
    return { verdict: 'passes', message: `${at}: ENTRYPOINT ${shown} ends with --: the command follows it` };
  if (/^(ba|da|a)?sh$/.test(base) && argv[1] === '-c') {
    const script = argv[2] ?? '';
    if (/"\$@"|\$\{@\}|\$@/.test(script))
      return { verdict: 'passes', message: `${at}: ENTRYPOINT ${shown}: the sh -c script runs "$@"` };
    return {
      verdict: 'fails',
      message: `${at}: ENTRYPOINT ${shown}: the sh -c script never runs its arguments ("$@"), so every process group would run the same thing`,
      fix: `end the script with exec "$@" (and add "--" after it, so the arguments start at $1), ${suggestion}`,
    };
  }
  if (base === 'litefs' && argv[1] === 'mount') {
    return {
      verdict: 'fails',
      message: `${at}: ENTRYPOINT ${shown}: litefs mount runs the exec command of litefs.yml, not the process group's command`,
      fix: `use ENTRYPOINT ["litefs", "mount", "--"], so litefs runs the command that follows, ${suggestion}`,
    };
  }
  // A script of the project, run directly or by an interpreter (`node server`): its path in the image
  // ends with a path in the project.
  const interpreter = INTERPRETERS.test(base) && argv[1] !== undefined && !argv[1].startsWith('-');
  const script = interpreter ? argv[1]! : program;
  const parts = script.replace(/^\.\//, '').split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const rel = parts.slice(i).join('/');
    const candidates = interpreter
      ? [rel, `${rel}.js`, `${rel}.mjs`, `${rel}.cjs`, `${rel}/index.js`, `${rel}.py`, `${rel}.rb`]
      : [rel];
    for (const candidate of candidates) {
      const content = readProjectFile(candidate);
      if (content === undefined) continue;
      if (RUNS_ARGS.test(content))
        return {
          verdict: 'passes',
          message: `${at}: ENTRYPOINT ${shown} runs ${candidate}, which passes its arguments on`,
          script: candidate,
        };
      return {
        verdict: 'fails',
        message: `${at}: ENTRYPOINT ${shown} runs ${candidate}, which never runs its arguments, so every process group would run what ${candidate} starts`,
        fix: `end ${candidate} with exec "$@" (a shell script; in Node: run process.argv.slice(2)), ${suggestion}`,
        script: candidate,
      };
    }
  }
  if (WRAPPERS.has(base))
    return { verdict: 'passes', message: `${at}: ENTRYPOINT ${shown}: ${base} runs the command it is given` };
  if (base === 'bundle' && argv[1] === 'exec' && argv.length === 2)
    return { verdict: 'passes', message: `${at}: ENTRYPOINT ${shown}: bundle exec runs the command it is given` };
  return {
    verdict: 'unknown',
    message: `${at}: ENTRYPOINT ${shown}: each process group's command is passed to ${base || program} as arguments; that works only if ${base || program} runs them (as tini or a script ending in exec "$@" do)`,
    fix: `if it does not, make the ENTRYPOINT a script that ends with exec "$@", ${suggestion}`,
  };
}

/** What `--dockerfile replace` would throw away, in a few words (for the wizard and messages). */
export function describeDockerfile(facts: DockerfileFacts, text: string): string[] {
  const dockerfile = parseDockerfile(text);
  const packages = new Set<string>();
  const steps: string[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() !== 'RUN') continue;
    const args = (instruction.getArgumentsContent() ?? '').replace(/\\\r?\n/g, ' ');
    for (const m of args.matchAll(/\b(?:apt-get|apt)\s+(?:-\S+\s+)*install\s+([^&;|]*)|\bapk\s+add\s+([^&;|]*)/g)) {
      for (const word of (m[1] ?? m[2] ?? '').split(/\s+/))
        if (word && !word.startsWith('-') && !word.startsWith('$')) packages.add(word);
    }
    for (const m of args.matchAll(
      /\b(assets:precompile|bootsnap precompile|collectstatic|mix release|mix assets\.deploy|npm run build|yarn build|pnpm build|go build|cargo build|bundle install|npm ci|pip install|poetry install)\b/g,
    )) {
      if (!steps.includes(m[1]!)) steps.push(m[1]!);
    }
  }
  const out = [
    `${facts.stages.length} stage${facts.stages.length === 1 ? '' : 's'}, final one from ${facts.baseImage}`,
  ];
  if (packages.size)
    out.push(
      `OS packages ${[...packages].slice(0, 8).join(' ')}${packages.size > 8 ? ` and ${packages.size - 8} more` : ''}`,
    );
  if (steps.length) out.push(`build steps ${steps.join(', ')}`);
  if (facts.user) out.push(`USER ${facts.user.value}`);
  if (facts.entrypoint)
    out.push(
      `ENTRYPOINT ${facts.entrypoint.form === 'exec' ? JSON.stringify(facts.entrypoint.argv) : facts.entrypoint.argv[0]}`,
    );
  return out;
}
