/**
 * The listener's normal (non-replication) connection, for setup, catalog and
 * lag queries: opened on first use, and re-opened on the next use after it
 * breaks (a server restart must not leave the listener with a dead client).
 */
import pg from 'pg';

/** A lazily opened, self-replacing pg client. */
export class AdminConnection {
  readonly #config: pg.ClientConfig;
  #client: Promise<pg.Client> | undefined;

  constructor(config: pg.ClientConfig) {
    this.#config = config;
  }

  /** The connected client, opening one if there is none. */
  client(): Promise<pg.Client> {
    if (this.#client !== undefined) return this.#client;
    const client = new pg.Client(this.#config);
    const connecting: Promise<pg.Client> = client.connect().then(
      () => client,
      (error: unknown) => {
        if (this.#client === connecting) this.#client = undefined;
        throw error;
      },
    );
    client.on('error', () => {
      if (this.#client === connecting) this.#client = undefined;
      client.end().catch(() => {});
    });
    this.#client = connecting;
    return connecting;
  }

  /** Close the client if one is open; the next use opens a new one. */
  async close(): Promise<void> {
    const pending = this.#client;
    this.#client = undefined;
    const client = await pending?.catch(() => undefined);
    await client?.end().catch(() => {});
  }
}
