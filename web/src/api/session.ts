/**
 * The admin's session token, kept in sessionStorage: it survives a reload of the tab (so nothing
 * on screen is lost) but not the browser, and other tabs log in on their own.
 */
export interface Session {
  token: string;
  username: string;
  /** ISO time the server gave for the token's expiry. */
  expiresAt: string;
}

const key = 'peerboot.session';

export function loadSession(storage: Storage = window.sessionStorage, nowMs = Date.now()): Session | null {
  try {
    const s = JSON.parse(storage.getItem(key) ?? 'null') as Session | null;
    if (!s || typeof s.token !== 'string' || typeof s.username !== 'string') return null;
    if (Date.parse(s.expiresAt) <= nowMs) { storage.removeItem(key); return null; }
    return s;
  } catch {
    return null;
  }
}

export function saveSession(session: Session, storage: Storage = window.sessionStorage): void {
  storage.setItem(key, JSON.stringify(session));
}

export function clearSession(storage: Storage = window.sessionStorage): void {
  storage.removeItem(key);
}
