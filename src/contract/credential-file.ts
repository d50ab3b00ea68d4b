/**
 * The credential file the server writes on first start (<data-dir>/initial-admin.txt) and that
 * `peerboot admin login --password-file` reads: one format, written and read here, so the file the
 * start-up banner points at is always one the login command takes. A password file may also be a
 * single line holding only the password (what `--password-file` took before this format existed).
 */

/** What a credential file holds: the password, and the username where the file names one. */
export interface FileCredentials {
  username: string | null;
  password: string;
}

/** The text of <data-dir>/initial-admin.txt. */
export function formatInitialAdmin(username: string, password: string, serverUrl: string): string {
  return `username: ${username}\npassword: ${password}\n` +
    `Log in with: peerboot admin login --server ${serverUrl} --password-file <this file>\n` +
    'Then change the password and delete this file.\n';
}

/**
 * Reads a credential file: `username: NAME` / `password: SECRET` lines (the initial-admin file),
 * else the first line as the password. Returns null when there is no password in it.
 */
export function parseCredentialFile(text: string): FileCredentials | null {
  const lines = text.split(/\r?\n/);
  const field = (name: string) => {
    const line = lines.find((l) => l.toLowerCase().startsWith(`${name}:`));
    return line === undefined ? undefined : line.slice(name.length + 1).trim();
  };
  const password = field('password');
  if (password !== undefined) return password ? { username: field('username') || null, password } : null;
  const first = lines[0]!.trim();
  return first ? { username: null, password: first } : null;
}
