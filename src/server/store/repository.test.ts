// Goal: the repository behaves the same on SQLite and PostgreSQL (one suite, both engines).
// Method: repositorySuite against an in-memory SQLite and a throwaway PostgreSQL cluster.
import { repositorySuite } from './repository.suite.js';
import { forEachDatabase } from '../../testkit/test-databases.js';

forEachDatabase(repositorySuite);
