import { CliError } from './cli-error.js';

/** A module that exists but threw when imported (a syntax error, an exception in its top-level code): bad input, exit code 2. */
export class ModuleImportError extends CliError {}
