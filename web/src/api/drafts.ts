/**
 * Form drafts that outlive errors, reloads and a re-login: each form keeps what the admin typed
 * in sessionStorage under its own key until the server accepts it.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

const prefix = 'peerboot.draft.';

export function readDraft<T>(key: string): T | undefined {
  try {
    const raw = window.sessionStorage.getItem(prefix + key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  } catch {
    return undefined;
  }
}

export function writeDraft<T>(key: string, value: T): void {
  try { window.sessionStorage.setItem(prefix + key, JSON.stringify(value)); } catch { /* storage full or off: keep it in memory */ }
}

export function dropDraft(key: string): void {
  window.sessionStorage.removeItem(prefix + key);
}

/**
 * useState whose value is mirrored to sessionStorage. While nothing is typed the value follows
 * `initial` (the saved record, which may change under us); `discard(saved?)` forgets the draft
 * after a save and shows `saved` (or `initial`). The fourth element says whether a draft exists.
 */
export function useDraft<T>(key: string, initial: T): [T, (next: T | ((prev: T) => T)) => void, (saved?: T) => void, boolean] {
  const [value, setValue] = useState<T>(() => readDraft<T>(key) ?? initial);
  const [dirty, setDirty] = useState(() => readDraft<T>(key) !== undefined);
  const initialRef = useRef(initial);
  initialRef.current = initial;
  const set = useCallback((next: T | ((prev: T) => T)) => {
    setValue((prev) => {
      const v = typeof next === 'function' ? (next as (p: T) => T)(prev) : next;
      writeDraft(key, v);
      return v;
    });
    setDirty(true);
  }, [key]);
  const discard = useCallback((saved?: T) => {
    dropDraft(key);
    setValue(saved ?? initialRef.current);
    setDirty(false);
  }, [key]);
  const initialJson = JSON.stringify(initial);
  useEffect(() => {
    if (readDraft<T>(key) === undefined) setValue(JSON.parse(initialJson) as T);
  }, [key, initialJson]);
  // A different record was opened: load its draft (or its saved values).
  useEffect(() => {
    const d = readDraft<T>(key);
    setValue(d ?? initialRef.current);
    setDirty(d !== undefined);
  }, [key]);
  return [value, set, discard, dirty];
}
