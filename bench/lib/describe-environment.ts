/**
 * The method header of every benchmark report: machine, runtime and versions.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

const ROOT = new URL('../../', import.meta.url);

/** The installed version of a package in the project, or `"?"`. */
export function packageVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, ROOT), 'utf8')) as {
      version?: string;
    };
    return manifest.version ?? '?';
  } catch {
    return '?';
  }
}

/** Lines describing this machine and the versions in use. */
export function describeEnvironment(redisVersion: string): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return [
    `machine: ${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}`,
    `node ${process.version}, redis-server ${redisVersion}`,
    `clients: redis (node-redis) ${packageVersion('redis')}, ioredis ${packageVersion('ioredis')}; msgpackr ${packageVersion('msgpackr')}; zlib ${process.versions.zlib}`,
    `date: ${new Date().toISOString()}`,
  ].join('\n');
}
