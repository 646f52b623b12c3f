/* The MySQL/MariaDB connector; nothing outside this folder uses mysql2 on a source. */
export { mysqlConnector } from './connector.ts';
export { familyOfMysqlType } from './families.ts';
