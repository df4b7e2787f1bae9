import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';

export function SignIn(props: { notice?: string; onSignedIn: (key: string) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(props.notice ?? null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const key = value.trim();
    if (!key) return setError('Paste your project’s secret key (it starts with sk_).');
    setBusy(true);
    setError(null);
    try {
      await api.verify(key);
      props.onSignedIn(key);
    } catch (caught) {
      const status = caught instanceof ApiError ? caught.status : 0;
      setError(
        status === 403
          ? 'That is a public key: it can only identify customers. Paste the secret key (sk_…).'
          : status === 401
            ? 'This key is not valid or has been revoked.'
            : caught instanceof Error
              ? caught.message
              : 'Sign in failed.',
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={submit} aria-describedby="signin-help">
        <div class="brand big">
          <span class="brand-mark" aria-hidden="true" />
          Beacon
        </div>
        <h1>Sign in to the console</h1>
        <p id="signin-help" class="muted">
          Paste your project’s secret key. It stays in this browser tab only and is forgotten when you sign out or close the tab.
        </p>
        <label class="field">
          <span>Secret key</span>
          <input
            type="password"
            name="key"
            autoComplete="off"
            spellcheck={false}
            placeholder="sk_…"
            value={value}
            onInput={(event) => setValue((event.target as HTMLInputElement).value)}
            aria-invalid={error ? true : undefined}
            autofocus
          />
        </label>
        <p class="notice error" role="alert" hidden={!error}>
          {error}
        </p>
        <button type="submit" class="button primary wide" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
