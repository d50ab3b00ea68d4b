// Goal: the HTTP API behaves the same on SQLite and PostgreSQL.
// Method: appSuite through app.inject() (no sockets) against both engines.
import { appSuite } from './app.suite.js';
import { forEachDatabase } from '../testkit/test-databases.js';

forEachDatabase(appSuite);
