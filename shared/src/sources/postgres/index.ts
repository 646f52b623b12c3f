/* The PostgreSQL connector; nothing outside this folder uses postgres.js on a source. */
export { postgresConnector } from './connector.ts';
export { connectPostgresSource } from './pool.ts';
export { familyOfPgType } from './introspect.ts';
