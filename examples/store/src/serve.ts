/**
 * One shop as a process, configured by the environment (the end-to-end
 * benchmark runs each mode this way): `DATABASE_URL` (required, seeded),
 * `REDIS_URL` (absent: the in-memory store), `SHOP_MODE` (default full),
 * `PORT` (default 0: a free port), `SHOP_PANEL=1`, `SHOP_STATS=1`,
 * `SHOP_PREFIX`, `SHOP_CDC_SLOT`, `SHOP_STAMPEDE=off` (naive cache-aside for
 * SQL results), `SHOP_WARM=0`. Prints `listening <url>`; stops on SIGINT or SIGTERM.
 */
import { MODES, type Mode, startShop } from './shop.js';

const env = process.env;
const databaseUrl = env.DATABASE_URL;
const mode = (env.SHOP_MODE ?? 'full') as Mode;
if (databaseUrl === undefined || !Object.hasOwn(MODES, mode)) {
  console.error(
    `serve: DATABASE_URL is required and SHOP_MODE must be one of ${Object.keys(MODES).join(', ')}`,
  );
  process.exit(2);
}
const shop = await startShop({
  databaseUrl,
  redisUrl: env.REDIS_URL || undefined,
  mode,
  port: Number(env.PORT ?? 0),
  panel: env.SHOP_PANEL === '1',
  stats: env.SHOP_STATS === '1',
  ...(env.SHOP_PREFIX ? { prefix: env.SHOP_PREFIX } : {}),
  ...(env.SHOP_CDC_SLOT ? { cdc: { slot: env.SHOP_CDC_SLOT } } : {}),
  ...(env.SHOP_WARM === '0' ? { warm: false as const } : {}),
  naiveQueries: env.SHOP_STAMPEDE === 'off',
});
console.error(shop.cdc);
console.log(`listening ${shop.url}`);
let stopping = false;
const stop = () => {
  if (stopping) process.exit(1);
  stopping = true;
  shop.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
