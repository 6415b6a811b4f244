/**
 * Which built-in Postgres functions a cached read may call. Two lists, both for
 * functions resolved in `pg_catalog` (called unqualified or as `pg_catalog.f`):
 *
 * - volatile: the result changes without any table changing — time (`now()`,
 *   even though Postgres marks it STABLE), randomness, sequences, transaction
 *   and session state (`current_setting`, `current_user`, privileges), locks,
 *   notifications, sleeps, I/O outside the database (dblink, files).
 * - safe: immutable functions, and stable ones whose result is fixed by the
 *   data plus session settings that are constant for a connection pool:
 *   `date_trunc`/`to_char`/`extract` on `timestamptz` and `generate_series` over
 *   timestamps depend on `TimeZone` (and `to_char` on `lc_time`). Decision: they
 *   are safe; the wrapper keys cached results on the session's `TimeZone` when
 *   it can differ between connections. Aggregates and window functions are safe.
 *
 * Anything else — every user function, every schema-qualified name outside
 * `pg_catalog`, built-ins not listed — is unknown: the wrapper may look it up
 * in `pg_proc` (only `provolatile = 'i'` is safe: a STABLE function may read
 * tables the analyzer cannot see) or the user may allow-list it.
 */

/** How a function call affects cacheability. */
export type FunctionVolatility = 'safe' | 'volatile' | 'unknown';

/** A set of the whitespace-separated names in `groups`. */
function names(...groups: string[]): ReadonlySet<string> {
  return new Set(groups.flatMap((group) => group.trim().split(/\s+/)));
}

// biome-ignore format: name lists
const VOLATILE: ReadonlySet<string> = names(
  // time
  `now clock_timestamp statement_timestamp transaction_timestamp timeofday current_timestamp
   current_date current_time localtime localtimestamp`,
  // randomness, identifiers
  `random random_normal setseed gen_random_uuid uuidv4 uuidv7`,
  // sequences
  `nextval currval lastval setval`,
  // transaction, session, role
  `txid_current txid_current_if_assigned txid_current_snapshot txid_status pg_current_xact_id
   pg_current_xact_id_if_assigned pg_current_snapshot pg_xact_status current_setting set_config
   current_user current_role session_user system_user user pg_backend_pid pg_blocking_pids
   pg_safe_snapshot_blocking_pids pg_trigger_depth pg_my_temp_schema pg_is_other_temp_schema
   pg_has_role row_security_active inet_client_addr inet_client_port inet_server_addr
   inet_server_port pg_postmaster_start_time pg_conf_load_time pg_is_in_recovery pg_jit_available
   pg_current_logfile`,
  // side effects
  `pg_notify pg_cancel_backend pg_terminate_backend pg_reload_conf pg_rotate_logfile pg_read_file
   pg_read_binary_file pg_ls_dir pg_stat_file lo_import lo_export lo_create lo_creat lo_unlink
   lo_open lo_get lo_put lo_from_bytea`,
);

const VOLATILE_PREFIXES: readonly string[] = [
  'pg_advisory_',
  'pg_try_advisory_',
  'pg_sleep',
  'pg_stat_',
  'pg_current_wal_',
  'pg_last_wal_',
  'pg_wal_',
  'pg_replication_',
  'pg_logical_',
  'dblink',
  'uuid_generate_',
];

// biome-ignore format: name lists
const SAFE: ReadonlySet<string> = names(
  // aggregates
  `count sum avg min max array_agg string_agg json_agg jsonb_agg json_agg_strict jsonb_agg_strict
   json_object_agg jsonb_object_agg bool_and bool_or every bit_and bit_or bit_xor any_value stddev
   stddev_pop stddev_samp variance var_pop var_samp corr covar_pop covar_samp percentile_cont
   percentile_disc mode range_agg range_intersect_agg xmlagg`,
  // window functions
  `row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value
   nth_value`,
  // strings
  `lower upper initcap length char_length character_length octet_length bit_length substring substr
   trim btrim ltrim rtrim position strpos concat concat_ws replace left right lpad rpad repeat
   reverse split_part starts_with translate overlay format quote_ident quote_literal quote_nullable
   regexp_replace regexp_match regexp_matches regexp_like regexp_count regexp_instr regexp_substr
   regexp_split_to_array regexp_split_to_table string_to_array string_to_table array_to_string
   ascii chr to_hex md5 sha224 sha256 sha384 sha512 encode decode normalize is_normalized unistr
   like_escape similar_to_escape collation_for`,
  // numbers
  `abs round floor ceil ceiling trunc mod div power pow sqrt cbrt exp ln log log10 sign pi degrees
   radians sin cos tan asin acos atan atan2 gcd lcm scale width_bucket num_nulls num_nonnulls`,
  // date and time (see the TimeZone decision above)
  `date_trunc date_part date_bin extract timezone overlaps isfinite make_date make_time
   make_timestamp make_timestamptz make_interval justify_days justify_hours justify_interval
   to_char to_date to_timestamp to_number`,
  // json
  `to_json to_jsonb row_to_json array_to_json json_build_object jsonb_build_object json_build_array
   jsonb_build_array json_object jsonb_object json_array_length jsonb_array_length json_typeof
   jsonb_typeof json_extract_path jsonb_extract_path json_extract_path_text jsonb_extract_path_text
   json_each jsonb_each json_each_text jsonb_each_text json_array_elements jsonb_array_elements
   json_array_elements_text jsonb_array_elements_text json_object_keys jsonb_object_keys
   json_populate_record jsonb_populate_record json_populate_recordset jsonb_populate_recordset
   json_to_record jsonb_to_record json_to_recordset jsonb_to_recordset json_strip_nulls
   jsonb_strip_nulls jsonb_set jsonb_set_lax jsonb_insert jsonb_pretty jsonb_path_exists
   jsonb_path_match jsonb_path_query jsonb_path_query_array jsonb_path_query_first`,
  // arrays, sets
  `unnest generate_series generate_subscripts array_length array_lower array_upper array_ndims
   array_dims cardinality array_position array_positions array_append array_prepend array_cat
   array_remove array_replace array_fill trim_array`,
  // full-text search (to_tsvector(text) uses default_text_search_config, a session setting like TimeZone)
  `to_tsvector to_tsquery plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_rank ts_rank_cd
   ts_headline setweight ts_match_vq`,
  // misc
  `current_database current_catalog current_schema pg_typeof`,
);

/**
 * Classify a call of `name` (as Postgres folded it), written with `schema` or
 * unqualified, with `argCount` arguments.
 */
export function functionVolatility(
  schema: string | undefined,
  name: string,
  argCount: number,
): FunctionVolatility {
  if (schema !== undefined && schema !== 'pg_catalog') return 'unknown';
  if (VOLATILE.has(name)) return 'volatile';
  for (const prefix of VOLATILE_PREFIXES) if (name.startsWith(prefix)) return 'volatile';
  // Privilege checks answer for the current role, which is not part of the cache key.
  if (name.startsWith('has_') && name.endsWith('_privilege')) return 'volatile';
  // age(timestamp) is measured from current_date; age(a, b) is immutable.
  if (name === 'age') return argCount === 1 ? 'volatile' : 'safe';
  return SAFE.has(name) ? 'safe' : 'unknown';
}
