/**
 * Folders and files that hold secrets (the server's database and keys, the agent's identity and
 * credential) are private to the user peerboot runs as: a data directory is created 0700, and one
 * that already exists is refused when others may enter it or another user owns it — with the
 * command that fixes it — instead of silently trusting luck with the umask. A new secret file is
 * created 0600 with O_EXCL|O_NOFOLLOW (never through a planted link), an existing one is narrowed to 0600.
 * POSIX permissions only: on Windows the data folder's ACL is the installer's job.
 */
import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, statSync } from 'node:fs';
import { PeerbootError } from '../contract/error-codes.js';

const isPosix = process.platform !== 'win32';

/** Creates `dir` (0700) or checks an existing one; throws PeerbootError naming the fix. */
export function ensurePrivateDirectory(dir: string, what: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!isPosix) return;
  const st = statSync(dir);
  if (!st.isDirectory()) throw new PeerbootError('PEERBOOT_ERR_LOOSE_PERMISSIONS', `${what} ${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new PeerbootError('PEERBOOT_ERR_LOOSE_PERMISSIONS', `${what} ${dir} belongs to uid ${st.uid}, not to the user running peerboot (uid ${uid}): chown -R ${uid} ${dir}, or run peerboot as its owner`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new PeerbootError('PEERBOOT_ERR_LOOSE_PERMISSIONS', `${what} ${dir} is open to other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}) and holds secrets: chmod 700 ${dir}`);
  }
}

/** Makes sure `path` exists as a private regular file: created 0600 (never through a link), or narrowed to 0600. */
export function ensurePrivateFile(path: string): void {
  try {
    const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0), 0o600);
    closeSync(fd);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(path);
  if (!st.isFile()) throw new PeerbootError('PEERBOOT_ERR_LOOSE_PERMISSIONS', `${path} is not a regular file (a link?): move it away`);
  if (isPosix && (st.mode & 0o077) !== 0) chmodSync(path, 0o600);
}
