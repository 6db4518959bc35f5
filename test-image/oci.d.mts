// Types for oci.mjs (plain JavaScript so that scripts/bench-image.mjs runs under bare node).

export const ROOT: string;
export const BIN: string;
export const FIXTURES: string;
export const BUILTIN_TEMPLATES: string;
export const BASE_IMAGE: string;
export const MANAGERS_DIR: string;
export const MANAGERS_IMAGE_PREFIX: string;
export const MANAGER_STAGE_TEMPLATE: string;
export const IMAGE_PREFIX: string;
export function runTag(key: string): string;
export const CONTAINER_PREFIX: string;

export function sleep(ms: number): Promise<void>;

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}
export function exec(file: string, args: string[], options?: { timeoutMs?: number; env?: Record<string, string>; input?: string }): Promise<ExecResult>;
export function ociSetup(options?: { timeoutMs?: number }): string;

export function freePorts(n: number): Promise<number[]>;
export function httpGet(port: number, urlPath?: string, timeoutMs?: number): Promise<string | null>;
export function portOpen(port: number, timeoutMs?: number): Promise<boolean>;

/** [name, command, port?] */
export type ProcessSpec = [name: string, command: string, port?: number];
export interface ProjectOptions {
  strategy: string;
  processes: ProcessSpec[];
  baseImage?: string;
  killTimeout?: number;
  procfileManager?: string;
  templates?: string;
  files?: Record<string, string>;
  app?: string;
}
export function generateProject(options: ProjectOptions): string;
export function removeProject(dir: string): void;
export function loseExecutableBits(dir: string): string[];
export function readFlyToml(dir: string): { killSignal: string; killTimeout: number; processes: Record<string, string>; toml: Record<string, unknown> };
export function baseImages(dockerfile: string): string[];
export function standardProject(
  strategy: string,
  ports: number[],
  options?: { procfileManager?: string; killTimeout?: number; baseImage?: string; managersImage?: string },
): { dir: string; ports: { web: number; api: number }; standIn?: ReturnType<typeof procfileStandIn>; cleanup: () => void };
export function procfileManagersDir(): string;
export function buildShimFromTemplate(out: string): void;
export function procfileManagersImage(podman: Podman): Promise<string>;
export function procfileStandIn(templatesDir: string, managersImage: string): { template: string; replaced: string };

export class Podman {
  constructor(pm: string);
  readonly pm: string;
  readonly containers: Set<string>;
  run(args: string[], options?: { timeoutMs?: number; check?: boolean }): Promise<ExecResult>;
  imageExists(image: string): Promise<boolean>;
  build(dir: string, tag: string, options?: { timeoutMs?: number; noCache?: boolean; buildArgs?: Record<string, string> }): Promise<{ ms: number; log: string }>;
  imageId(image: string): Promise<string | undefined>;
  keep(tag: string): Promise<void>;
  imageSize(image: string): Promise<number>;
  newName(): string;
  start(image: string, options?: { args?: string[]; env?: Record<string, string>; init?: boolean; name?: string }): Promise<{ name: string; ms: number }>;
  status(name: string): Promise<string | undefined>;
  waitExit(name: string, timeoutMs: number): Promise<{ code: number; ms: number } | null>;
  stop(name: string, signal: string, timeoutMs: number): Promise<{ code: number | null; ms: number }>;
  logs(name: string): Promise<string>;
  top(name: string): Promise<string>;
  remove(name: string): Promise<void>;
  removeAll(): Promise<void>;
  waitForPorts(name: string, ports: number[], options?: { since?: number; timeoutMs?: number }): Promise<{ ms: number; bodies: Map<number, string> }>;
}

export const SAMPLES: string;
export const CORPUS: string;
export const SAMPLE_PROCESSES: Record<string, (name: string, port: number) => string>;
export function sampleProject(
  sample: string,
  strategy: string,
  ports: number[],
  options?: { procfileManager?: string; killTimeout?: number; managersImage?: string; runtime?: string; extendCorpus?: string },
): { dir: string; ports: Record<string, number>; cleanup: () => void };
