/** Login: username and password exchanged for a session token (POST /api/v1/auth/login). */
import { useState, type FormEvent } from 'react';
import type { ApiClient } from '../../../src/contract/client.js';
import { ApiError } from '../../../src/contract/errors.js';
import { fieldMessage, formMessage } from '../api/field-errors.js';
import type { Session } from '../api/session.js';
import { Field, FormError } from '../components/field.js';

const fields = ['body.username', 'body.password'] as const;

export function LoginPage(props: { client: ApiClient; notice: string | null; onLogin(session: Session): void }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await props.client.call('login', { body: { username, password } });
      props.onLogin({ token: r.token, username: r.user.username, expiresAt: r.expiresAt });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const badCredentials = error instanceof ApiError && error.code === 'SERVER_ERR_BAD_CREDENTIALS';

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} noValidate aria-labelledby="login-title">
        <h1 id="login-title"><span className="brand">peerboot</span> console</h1>
        <p className="muted">Peer-to-peer PXE: every managed machine can boot its neighbours.</p>
        {props.notice && <div className="notice" role="status">{props.notice}</div>}
        <FormError message={badCredentials ? 'Wrong username or password.' : formMessage(error, fields)} />
        <Field label="Username" error={fieldMessage(error, 'body.username')}>
          {(c) => <input {...c} name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />}
        </Field>
        <Field label="Password" error={fieldMessage(error, 'body.password')} hint="The first admin's password is in initial-admin.txt in the server's data folder.">
          {(c) => <input {...c} name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />}
        </Field>
        <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Logging in…' : 'Log in'}</button>
      </form>
    </main>
  );
}
