import type { SourceLocation } from '../model/source-location.js';
import { optionalTypeScript } from './load-typescript.js';
import { locateStates } from './locate-states.js';
import { userFrame } from './stack-frame.js';

/** One problem `.build()` reported, at the declaration of the state it names when that can be found. */
export interface DefinitionProblem {
  readonly workflow: string;
  readonly message: string;
  readonly source?: SourceLocation | undefined;
}

/**
 * A module could not be imported because a workflow's `.build()` threw a WorkflowDefinitionError:
 * every problem it listed, located. A finding (exit code 1), not bad input: the module is what is
 * being checked.
 */
export class DefinitionProblemsError extends Error {
  override readonly name = 'DefinitionProblemsError';

  constructor(
    readonly file: string,
    readonly problems: readonly DefinitionProblem[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in a workflow definition`);
  }
}

/** A WorkflowDefinitionError, recognised by shape: the module's copy of jorb-ts may not be this one. */
function definitionError(error: unknown): { message: string; problems: readonly string[] } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, message, problems } = error as { name?: unknown; message?: unknown; problems?: unknown };
  if (name !== 'WorkflowDefinitionError' || typeof message !== 'string' || !Array.isArray(problems)) return undefined;
  return { message, problems: problems.map(String) };
}

const WORKFLOW = /^Workflow ("(?:[^"\\]|\\.)*")/;
const STATE = /^(?:Terminal state|State) ("(?:[^"\\]|\\.)*")/;

/**
 * The problems of a WorkflowDefinitionError thrown while importing `file`, each at its state's
 * `.state(…)` or `.terminal(…)` call (else at the `.build()` call); undefined for any other error.
 */
export async function definitionProblems(file: string, error: unknown): Promise<DefinitionProblemsError | undefined> {
  const found = definitionError(error);
  if (!found) return undefined;
  const workflow = quoted(WORKFLOW.exec(found.message)?.[1]) ?? '?';
  const build = userFrame(error);
  const ts = build ? await optionalTypeScript() : undefined;
  const declarations = build && ts ? locateStates(ts, build) : () => [];
  const problems = found.problems.map((message): DefinitionProblem => {
    const state = quoted(STATE.exec(message)?.[1]);
    const places = state === undefined ? [] : declarations(state);
    // "declared twice" is about the second declaration.
    const source = (/ is declared twice$/.test(message) ? places[1] : undefined) ?? places[0] ?? build;
    return { workflow, message, source };
  });
  return new DefinitionProblemsError(file, problems);
}

function quoted(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
