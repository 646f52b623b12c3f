import type { EngineFixtureFactory } from './fixture.ts';
import { mariadbFixtureFactory } from './mariadb.ts';
import { postgresFixture } from './postgres.ts';

/** The engines the contract suite runs against; CI starts every server listed here (.ci/run). */
export const CONTRACT_FIXTURES: EngineFixtureFactory[] = [postgresFixture, mariadbFixtureFactory];
