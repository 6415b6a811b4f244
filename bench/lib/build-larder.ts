/**
 * Compiling the library for the benchmarks, exactly as the package build does
 * (`tsc -p tsconfig.build.json`), into a directory of the benchmark's own.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const ROOT = new URL('../../', import.meta.url);

/** The commit of the working tree, and whether src/ differs from it. */
function sourceVersion(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', 'src') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown commit';
  }
}

/**
 * Compile src/ into `directory` (emptied first), without declarations or source
 * maps; returns which source was built (commit, and whether src/ had changes).
 * Fails if the sources do not type-check.
 */
export function buildLarder(directory: URL): string {
  const version = sourceVersion();
  compileLarder(ROOT, directory);
  return version;
}

/** Compile the tree at `root` (its tsconfig.build.json) into `directory`, emptied first. */
export function compileLarder(root: URL, directory: URL): void {
  rmSync(directory, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [
      tsc,
      '-p',
      new URL('tsconfig.build.json', root).pathname,
      '--outDir',
      directory.pathname,
      '--declaration',
      'false',
      '--sourceMap',
      'false',
    ],
    { stdio: 'inherit' },
  );
}
