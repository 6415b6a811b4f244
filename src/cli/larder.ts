#!/usr/bin/env node
/**
 * The `larder` command. Its first subcommand is `proxy` (docs/proxy.md); the
 * operations commands (stats, inspect, invalidate, warm, doctor, top) join it
 * in the same bin.
 */
import { runProxy } from './proxy-command.js';

const USAGE = `usage: larder <command> [options]

commands:
  proxy   a caching reverse proxy in front of an HTTP origin (docs/proxy.md)

run 'larder <command> --help' for a command's options`;

const [command, ...rest] = process.argv.slice(2);
if (command === 'proxy') {
  runProxy(rest).catch((error: unknown) => {
    process.stderr.write(`larder proxy: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
} else {
  process.stderr.write(
    `${command === undefined || command === '--help' ? '' : `larder: unknown command '${command}'\n`}${USAGE}\n`,
  );
  process.exit(command === '--help' ? 0 : 2);
}
