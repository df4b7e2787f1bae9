import { useEffect, useState } from 'preact/hooks';
import { api, type ApiKey } from '../api';
import { ConfirmDialog, CopyButton, ErrorNotice } from '../components';
import { formatDateTime } from '../format';

export function KeysPage(props: { currentKey: string }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () => api.keys().then((data) => setKeys(data.keys), setError);
  useEffect(() => void load(), []);

  async function create(kind: 'public' | 'secret') {
    setBusy(true);
    setError(null);
    try {
      setCreated(await api.createKey(kind));
      await load();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  async function revoke() {
    if (!revoking) return;
    setBusy(true);
    try {
      await api.revokeKey(revoking.id);
      if (created?.id === revoking.id) setCreated(null);
      await load();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  }

  const isCurrent = (key: ApiKey) => props.currentKey.startsWith(key.display_prefix);

  return (
    <>
      <div class="page-head">
        <div>
          <h1>API keys</h1>
          <p class="muted">
            Public keys (<code>pk_</code>) can only identify customers and are safe in web pages. Secret keys (<code>sk_</code>) can read
            and delete; keep them on servers.
          </p>
        </div>
        <div class="row">
          <button type="button" class="button" disabled={busy} onClick={() => create('public')}>
            New public key
          </button>
          <button type="button" class="button primary" disabled={busy} onClick={() => create('secret')}>
            New secret key
          </button>
        </div>
      </div>
      <ErrorNotice error={error} />
      {created ? (
        <section class="card reveal" aria-labelledby="created-title" role="status">
          <h2 id="created-title">New {created.kind} key</h2>
          <p>Copy it now: it is shown only this once. Beacon keeps only a hash.</p>
          <div class="row">
            <code class="secret" data-testid="new-key">
              {created.key}
            </code>
            <CopyButton text={created.key} />
            <button type="button" class="button ghost" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </section>
      ) : null}
      <div class="card table-card">
        <table class="table">
          <caption class="sr-only">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Kind</th>
              <th scope="col" class="optional">Created</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(keys ?? []).map((key) => (
              <tr key={key.id} data-key-id={key.id}>
                <td class="mono">
                  {key.display_prefix}…{isCurrent(key) ? <span class="badge">this session</span> : null}
                </td>
                <td>{key.kind === 'public' ? 'Public' : 'Secret'}</td>
                <td class="optional">{formatDateTime(key.created_at)}</td>
                <td>{key.revoked_at === null ? <span class="ok">Active</span> : <span class="muted">Revoked {formatDateTime(key.revoked_at)}</span>}</td>
                <td class="actions">
                  {key.revoked_at === null ? (
                    <button type="button" class="button small" onClick={() => setRevoking(key)} aria-label={`Revoke ${key.display_prefix}…`}>
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        busy={busy}
        onConfirm={revoke}
        onCancel={() => setRevoking(null)}
      >
        <p>
          Calls using <code>{revoking?.display_prefix}…</code> will be refused from now on (401).
          {revoking && isCurrent(revoking) ? ' This is the key you signed in with: you will be signed out.' : ''}
        </p>
      </ConfirmDialog>
    </>
  );
}
