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

/**
 * Milliseconds a fixed loop of arithmetic takes (median of 5). On a shared VM
 * the host can slow a core several times over without it showing as load or
 * steal inside the guest; this line lets two reports be compared honestly.
 */
export function calibrateCpu(): number {
  const times: number[] = [];
  let sink = 0;
  for (let run = 0; run < 5; run++) {
    const startedMs = performance.now();
    for (let i = 0; i < 20_000_000; i++) sink = (sink + i * 7) % 1_000_003;
    times.push(performance.now() - startedMs);
  }
  if (sink < 0) console.log(sink);
  return times.sort((a, b) => a - b)[2] ?? Number.NaN;
}

/** Lines describing this machine and the versions in use. */
export function describeEnvironment(redisVersion: string): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return [
    `machine: ${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}`,
    `node ${process.version}, redis-server ${redisVersion}`,
    `clients: redis (node-redis) ${packageVersion('redis')}, ioredis ${packageVersion('ioredis')}; msgpackr ${packageVersion('msgpackr')}; zlib ${process.versions.zlib}`,
    `date: ${new Date().toISOString()}; load average ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}; CPU calibration loop ${calibrateCpu().toFixed(0)} ms (lower is faster)`,
  ].join('\n');
}
