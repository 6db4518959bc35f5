/**
 * A Dockerfile linter for the generated files: the text is parsed with dockerfile-ast, checked
 * for syntax with dockerfile-utils (every optional check set to error), and held to these rules
 * (hadolint's DL3006/DL3007, DL3025, DL3008-style cleanup, DL3009, DL3015, DL3020, DL4006-style):
 * - every FROM and COPY --from image is pinned: a tag other than latest, or a digest;
 * - CMD and ENTRYPOINT use the exec form (a JSON array);
 * - apt-get update and install share one RUN, install passes -y and --no-install-recommends, and
 *   the same RUN removes /var/lib/apt/lists; apk add passes --no-cache;
 * - no ADD (COPY for local files);
 * - the final stage has an ENTRYPOINT.
 */
import { DockerfileParser, type Copy, type From, type JSONInstruction } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';

const STRICT = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

/** An image reference with a tag that is not `latest`, or a digest. */
export function pinned(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const last = image.split('/').pop() ?? '';
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag !== '' && tag !== 'latest';
}

export interface Stage {
  /** The FROM image. */
  image: string;
  name?: string;
  /** Instructions of the stage after FROM: keyword and arguments as one line. */
  lines: { keyword: string; args: string; from?: string }[];
}

/** The stages of a Dockerfile, as the parser sees them. */
export function stagesOf(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const from = instruction as From;
      stages.push({
        image: from.getImage() ?? '',
        ...(from.getBuildStage() ? { name: from.getBuildStage()! } : {}),
        lines: [],
      });
      continue;
    }
    const from = keyword === 'COPY' ? ((instruction as Copy).getFromFlag()?.getValue() ?? undefined) : undefined;
    stages.at(-1)?.lines.push({
      keyword,
      args: instruction
        .getArguments()
        .map((a) => a.getValue())
        .join(' '),
      ...(from ? { from } : {}),
    });
  }
  return stages;
}

export function lintDockerfile(text: string): string[] {
  const problems: string[] = [];
  for (const d of validate(text, STRICT)) problems.push(`line ${d.range.start.line + 1}: ${d.message}`);
  const dockerfile = DockerfileParser.parse(text);
  const stageNames = new Set<string>();
  let lastEntrypoint = -1;
  let lastFrom = -1;
  dockerfile.getInstructions().forEach((instruction, index) => {
    const keyword = instruction.getKeyword();
    const line = instruction.getRange().start.line + 1;
    const args = instruction
      .getArguments()
      .map((a) => a.getValue())
      .join(' ');
    switch (keyword) {
      case 'FROM': {
        const from = instruction as From;
        const image = from.getImage() ?? '';
        if (!stageNames.has(image) && !pinned(image))
          problems.push(`line ${line}: FROM ${image}: base image tag not pinned`);
        const stage = from.getBuildStage();
        if (stage) stageNames.add(stage);
        lastFrom = index;
        break;
      }
      case 'COPY': {
        const from = (instruction as Copy).getFromFlag()?.getValue();
        if (from && !stageNames.has(from) && !/^\d+$/.test(from) && !pinned(from))
          problems.push(`line ${line}: COPY --from=${from}: image not pinned`);
        break;
      }
      case 'ADD':
        problems.push(`line ${line}: ADD: use COPY for local files`);
        break;
      case 'CMD':
      case 'ENTRYPOINT': {
        const json = instruction as JSONInstruction;
        // `CMD []` (an empty exec form) is allowed: it clears a CMD set earlier in the stage.
        const emptyExec = keyword === 'CMD' && json.getOpeningBracket() !== null && json.getClosingBracket() !== null;
        if (json.getOpeningBracket() === null || (json.getJSONStrings().length === 0 && !emptyExec))
          problems.push(`line ${line}: ${keyword} ${args}: shell form (use the exec form ["..."])`);
        if (keyword === 'ENTRYPOINT') lastEntrypoint = index;
        break;
      }
      case 'RUN':
        if (/\bapt-get\s+(-\S+\s+)*install\b/.test(args)) {
          if (!/--no-install-recommends/.test(args))
            problems.push(`line ${line}: apt-get install without --no-install-recommends`);
          if (!/\s(-y|--yes|--assume-yes)\b/.test(args)) problems.push(`line ${line}: apt-get install without -y`);
          if (!/\bapt-get\s+update\b/.test(args))
            problems.push(`line ${line}: apt-get install without apt-get update in the same RUN`);
          if (!/rm -rf \/var\/lib\/apt\/lists/.test(args)) problems.push(`line ${line}: apt-get lists not cleaned up`);
        }
        if (/\bapk\s+add\b/.test(args) && !/--no-cache/.test(args))
          problems.push(`line ${line}: apk add without --no-cache`);
        break;
      default:
    }
  });
  if (lastEntrypoint < lastFrom) problems.push('the final stage has no ENTRYPOINT');
  return problems;
}
