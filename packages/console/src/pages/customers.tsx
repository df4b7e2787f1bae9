import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiKey, type Profile } from '../api';
import { CopyButton, ErrorNotice } from '../components';
import { formatDate, formatDateTime, relative } from '../format';
import { href, replaceHash } from '../router';

const PAGE_SIZE = 25;

function identifyCommand(publicPrefix: string | null): string {
  const key = publicPrefix ? `${publicPrefix}…` : 'pk_…';
  return [
    `curl -s ${location.origin}/customers \\`,
    `  -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' \\`,
    `  -d '{"user_id":"1","email":"billy@crowdpower.io","name":"Billy Madison","signed_up_at":1585775554,"custom_attributes":{"plan":"pro"}}'`,
  ].join('\n');
}

function EmptyState() {
  const [publicKey, setPublicKey] = useState<ApiKey | null | undefined>(undefined);
  useEffect(() => {
    api.keys().then(
      (data) => setPublicKey(data.keys.find((key) => key.kind === 'public' && key.revoked_at === null) ?? null),
      () => setPublicKey(null),
    );
  }, []);
  const command = identifyCommand(publicKey?.display_prefix ?? null);
  return (
    <section class="empty card" aria-labelledby="empty-title">
      <h2 id="empty-title">No customers yet</h2>
      <p>
        Send your first identify call from your website or back end. Use your project’s <strong>public key</strong>
        {publicKey ? (
          <>
            {' '}
            (it starts with <code>{publicKey.display_prefix}</code>; the full key was shown once when it was created)
          </>
        ) : null}
        ; you can make a new one on the <a href={href(['keys'])}>API keys</a> page.
      </p>
      <pre class="code" tabIndex={0} aria-label="Identify command">
        {command}
      </pre>
      <div class="row">
        <CopyButton text={command} label="Copy command" />
        <span class="muted">Then reload this page.</span>
      </div>
    </section>
  );
}

export function CustomersPage(props: { query: URLSearchParams }) {
  const q = props.query.get('q') ?? '';
  const sort = props.query.get('sort') === 'last_seen' ? 'last_seen' : 'created';
  const [input, setInput] = useState(q);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [data, setData] = useState<{ customers: Profile[]; next_cursor: string | null } | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const request = useRef(0);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => setInput(q), [q]);
  useEffect(() => setCursors([undefined]), [q, sort]);

  useEffect(() => {
    const id = ++request.current;
    setLoading(true);
    api.customers({ q, sort: sort === 'last_seen' ? 'last_seen' : undefined, limit: PAGE_SIZE, cursor }).then(
      (page) => {
        if (id !== request.current) return;
        setData(page);
        setError(null);
        setLoading(false);
      },
      (caught) => {
        if (id !== request.current) return;
        setError(caught);
        setLoading(false);
      },
    );
  }, [q, sort, cursor]);

  // Typing searches after a short pause; the query lives in the URL so back/forward and reload keep it.
  useEffect(() => {
    if (input === q) return;
    const timer = setTimeout(() => replaceHash(href(['customers'], { q: input.trim(), sort: sort === 'last_seen' ? sort : undefined })), 250);
    return () => clearTimeout(timer);
  }, [input]);

  const firstPage = cursors.length === 1;
  const noneAtAll = data !== null && data.customers.length === 0 && q === '' && firstPage;

  return (
    <>
      <div class="page-head">
        <h1>Customers</h1>
      </div>
      <div class="toolbar" role="search">
        <label class="field grow">
          <span class="sr-only">Search customers</span>
          <input
            type="search"
            placeholder="Search by name, email or user_id"
            value={input}
            onInput={(event) => setInput((event.target as HTMLInputElement).value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') replaceHash(href(['customers'], { q: input.trim(), sort: sort === 'last_seen' ? sort : undefined }));
            }}
          />
        </label>
        <label class="field inline">
          <span>Sort</span>
          <select
            value={sort}
            onChange={(event) => {
              const value = (event.target as HTMLSelectElement).value;
              replaceHash(href(['customers'], { q, sort: value === 'last_seen' ? value : undefined }));
            }}
          >
            <option value="created">Newest</option>
            <option value="last_seen">Last seen</option>
          </select>
        </label>
      </div>
      {props.query.get('deleted') ? (
        <p class="notice success" role="status">
          Customer “{props.query.get('deleted')}” was deleted.
        </p>
      ) : null}
      <ErrorNotice error={error} />
      {noneAtAll ? (
        <EmptyState />
      ) : (
        <div class="card table-card">
          <table class="table customers" aria-busy={loading}>
            <caption class="sr-only">Customers, {sort === 'last_seen' ? 'most recently seen first' : 'newest first'}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" class="optional-phone">Email</th>
                <th scope="col">User ID</th>
                <th scope="col">Last seen</th>
                <th scope="col" class="optional num">Sessions</th>
                <th scope="col" class="optional">Signed up</th>
              </tr>
            </thead>
            <tbody>
              {data === null ? null : data.customers.length === 0 ? (
                <tr>
                  <td colSpan={6} class="none">
                    No customer matches “{q}”.
                  </td>
                </tr>
              ) : (
                data.customers.map((customer) => (
                  <tr key={customer.id}>
                    <td>
                      {customer.user_id ? (
                        <a class="rowlink" href={href(['customers', customer.user_id])}>
                          {customer.name ?? <span class="muted">No name</span>}
                        </a>
                      ) : (
                        (customer.name ?? <span class="muted">No name</span>)
                      )}
                    </td>
                    <td class="truncate optional-phone">{customer.email ?? <span class="muted">—</span>}</td>
                    <td class="mono truncate">{customer.user_id ?? <span class="muted">—</span>}</td>
                    <td title={formatDateTime(customer.last_seen)}>{customer.last_seen === null ? <span class="muted">Never</span> : relative(customer.last_seen)}</td>
                    <td class="optional num">{customer.sessions}</td>
                    <td class="optional">{formatDate(customer.signed_up_at)}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
          {/* Rows and pager appear together once loaded: nothing already on screen moves. */}
          <div class="pager" hidden={data === null}>
            <button type="button" class="button" disabled={firstPage || loading} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous
            </button>
            <span class="muted" aria-live="polite">
              Page {cursors.length}
            </span>
            <button
              type="button"
              class="button"
              disabled={!data?.next_cursor || loading}
              onClick={() => data?.next_cursor && setCursors([...cursors, data.next_cursor])}
            >
              Next
            </button>
          </div>
        </div>
      )}
    </>
  );
}
