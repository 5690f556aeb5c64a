import { Dashboard } from '../../serve/dashboard.js';
import { JsonlTail } from '../../serve/jsonl-tail.js';
import { PollFeed } from '../../serve/poll-feed.js';
import { serveDashboard, type DashboardServer } from '../../serve/server.js';
import { CliError } from '../cli-error.js';
import { checkInputFile } from '../input-file.js';
import { asCliError } from '../load-run-file.js';
import { loadWorkflows } from '../load-workflows.js';
import { openRun, runSource, type RunSource, type RunSourceOptions } from '../run-source.js';
import { redrive } from './redrive.js';
import { pauseState } from './pause.js';
import type { PausedStates } from '../../model/paused-states.js';
import { JsonlStore } from '../../store/jsonl-store.js';

export interface ServeCommandOptions extends RunSourceOptions {
  readonly port?: string;
  readonly allowActions?: boolean;
  readonly workflow?: string;
}

/**
 * `jorb serve`: the dashboard of a run on 127.0.0.1, live while a processor writes it (a run file's
 * log is tailed; a run in PostgreSQL is read again every second), read-only unless
 * `--allow-actions`, whose token it prints. Resolves once the server listens, with it.
 */
export async function serve(file: string, options: ServeCommandOptions, out: (line: string) => void): Promise<DashboardServer> {
  const source = runSource(file, options);
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port ${options.port ?? ''}: a port is a whole number from 0 (any free one) to 65535`);
  const workflow = options.workflow === undefined ? undefined : await oneWorkflow(options.workflow);
  let feed;
  if (source.kind === 'file') {
    checkInputFile(source.path, 'run file');
    feed = new JsonlTail(source.path);
  } else {
    feed = new PollFeed(async () => {
      const { store, run } = await openRun(source, 'read');
      await store.close();
      return run;
    });
  }
  // The paused states, watched so that the page shows a pause made anywhere (a run in PostgreSQL: on a store of their own).
  const pausedStates = await pausedStatesFor(source);
  let dashboard: Dashboard;
  try {
    dashboard = await Dashboard.open(feed, { workflow, source: source.shown, actions: options.allowActions === true, pausedStates: pausedStates.states });
  } catch (error) {
    feed.close();
    await pausedStates.close();
    throw asCliError(error);
  }
  const where = { ...(options.run === undefined ? {} : { run: options.run }), ...(options.schema === undefined ? {} : { schema: options.schema }) };
  const actions = options.allowActions
    ? {
        redrive: async (request: { from: string; to: string; whereError?: string }) => {
          const lines: string[] = [];
          await redrive(file, { ...where, ...request, ...(options.workflow === undefined ? {} : { workflow: options.workflow }) }, (line) => lines.push(line));
          return lines.join('\n');
        },
        pause: async (state: string, paused: boolean) => {
          const lines: string[] = [];
          await pauseState(file, state, paused, { ...where, ...(options.workflow === undefined ? {} : { workflow: options.workflow }) }, (line) => lines.push(line));
          return lines.join('\n');
        },
      }
    : undefined;
  const server = await serveDashboard(dashboard, { port, ...(actions ? { actions } : {}) }).catch((error: unknown) => {
    dashboard.close();
    throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new CliError(`--port ${port}: in use by another program; give another, or --port 0 for any free one`) : error;
  });
  out(`jorb serve: ${source.shown} (run "${dashboard.run.name}", ${dashboard.run.jobs.size} jobs) at ${server.url}`);
  if (server.token !== undefined) {
    out(`actions allowed with the token ${server.token} (Authorization: Bearer <token>); the page takes it from ${server.url}#token=${server.token}`);
  } else out('read-only: start with --allow-actions to redrive from the page');
  return {
    ...server,
    close: async () => {
      dashboard.close();
      await server.close();
      await pausedStates.close();
    },
  };
}

async function pausedStatesFor(source: RunSource): Promise<{ states: PausedStates; close: () => Promise<void> }> {
  if (source.kind === 'file') return { states: new JsonlStore(source.path, { readOnly: true }).pausedStates(), close: async () => undefined };
  const { PgStore } = await import('../../postgres/index.js');
  const store = new PgStore({ connectionString: source.url, run: source.run, ...(source.schema !== undefined ? { schema: source.schema } : {}), readOnly: true });
  return { states: store.pausedStates(), close: () => store.close() };
}

async function oneWorkflow(ref: string) {
  const { workflows } = await loadWorkflows(ref);
  if (workflows.length > 1) throw new CliError(`${ref}: the module exports ${workflows.length} workflows (${workflows.map((w) => w.exportName).join(', ')}): name one as ${ref}#exportName`);
  const found = workflows[0]?.workflow;
  if (found === undefined) throw new CliError(`${ref}: no workflow in the module`);
  return found as never;
}

/** `jorb serve` as the command line runs it: serves until SIGINT or SIGTERM, then closes. */
export async function serveUntilStopped(file: string, options: ServeCommandOptions, out: (line: string) => void): Promise<void> {
  const server = await serve(file, options, out);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}
