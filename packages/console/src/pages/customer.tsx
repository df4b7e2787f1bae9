import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Profile, type Trait } from '../api';
import { ConfirmDialog, ErrorNotice } from '../components';
import { formatDate, formatDateTime, relative, renderAttribute, TYPE_LABELS } from '../format';
import { href } from '../router';

function Value(props: { value: string | null }) {
  return props.value === null || props.value === '' ? <span class="muted">—</span> : <>{props.value}</>;
}

function Time(props: { seconds: number | null; relativeToo?: boolean }) {
  if (props.seconds === null) return <span class="muted">Never</span>;
  return (
    <time dateTime={new Date(props.seconds * 1000).toISOString()} title={formatDateTime(props.seconds)}>
      {props.relativeToo ? `${relative(props.seconds)} · ${formatDateTime(props.seconds)}` : formatDateTime(props.seconds)}
    </time>
  );
}

export function CustomerPage(props: { userId: string }) {
  const [profile, setProfile] = useState<Profile | null>(null);
  const [traits, setTraits] = useState<Map<string, Trait>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);

  useEffect(() => {
    setProfile(null);
    setMissing(false);
    Promise.all([api.customer(props.userId), api.traits()]).then(
      ([customer, catalog]) => {
        setProfile(customer);
        setTraits(new Map(catalog.traits.map((trait) => [trait.key, trait])));
      },
      (caught) => {
        if (caught instanceof ApiError && caught.status === 404) setMissing(true);
        else setError(caught);
      },
    );
  }, [props.userId]);

  async function remove() {
    setDeleting(true);
    try {
      await api.deleteCustomer(props.userId);
      location.hash = href(['customers'], { deleted: props.userId });
    } catch (caught) {
      setError(caught);
      setDeleting(false);
      setConfirming(false);
    }
  }

  const attributes = profile ? Object.entries(profile.custom_attributes).sort(([a], [b]) => a.localeCompare(b)) : [];

  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href(['customers'])}>← Customers</a>
      </nav>
      <ErrorNotice error={error} />
      {missing ? (
        <section class="card empty">
          <h1>Customer not found</h1>
          <p>No customer has the user_id “{props.userId}”. It may have been deleted.</p>
        </section>
      ) : (
        <>
          <div class="page-head">
            <div>
              <h1 class={profile ? undefined : 'placeholder-text'}>{profile ? (profile.name ?? profile.email ?? profile.user_id) : 'Loading…'}</h1>
              <p class="muted mono">{props.userId}</p>
            </div>
            <button type="button" class="button danger" disabled={!profile} onClick={() => setConfirming(true)}>
              Delete customer
            </button>
          </div>
          <div class="grid">
            <section class="card" aria-labelledby="profile-title">
              <h2 id="profile-title">Profile</h2>
              <dl class="facts">
                <dt>User ID</dt>
                <dd class="mono">{profile ? <Value value={profile.user_id} /> : '\u00a0'}</dd>
                <dt>Email</dt>
                <dd>{profile ? <Value value={profile.email} /> : '\u00a0'}</dd>
                <dt>First name</dt>
                <dd>{profile ? <Value value={profile.first_name} /> : '\u00a0'}</dd>
                <dt>Last name</dt>
                <dd>{profile ? <Value value={profile.last_name} /> : '\u00a0'}</dd>
                <dt>Phone</dt>
                <dd>{profile ? <Value value={profile.phone} /> : '\u00a0'}</dd>
                <dt>Signed up</dt>
                <dd>{profile ? (profile.signed_up_at === null ? <span class="muted">—</span> : formatDate(profile.signed_up_at)) : '\u00a0'}</dd>
                <dt>IP address</dt>
                <dd class="mono">{profile ? <Value value={profile.ip} /> : '\u00a0'}</dd>
              </dl>
            </section>
            <section class="card" aria-labelledby="activity-title">
              <h2 id="activity-title">Activity</h2>
              <dl class="facts">
                <dt>First seen</dt>
                <dd>{profile ? <Time seconds={profile.first_seen} /> : '\u00a0'}</dd>
                <dt>Last seen</dt>
                <dd>{profile ? <Time seconds={profile.last_seen} relativeToo /> : '\u00a0'}</dd>
                <dt>Sessions</dt>
                <dd>{profile ? profile.sessions : '\u00a0'}</dd>
                <dt>Updated</dt>
                <dd>{profile ? <Time seconds={profile.updated_at} /> : '\u00a0'}</dd>
              </dl>
            </section>
          </div>
          <section class="card" aria-labelledby="attributes-title">
            <div class="card-head">
              <h2 id="attributes-title">Custom attributes</h2>
              <a href={href(['traits'])}>Edit types and formats</a>
            </div>
            {profile && attributes.length === 0 ? (
              <p class="muted">No custom attributes. Send them in <code>custom_attributes</code> on identify.</p>
            ) : (
              <dl class="facts attributes">
                {attributes.map(([key, value]) => {
                  const trait = traits.get(key);
                  const shown = renderAttribute(value, trait);
                  return (
                    <div class="fact" key={key} data-key={key}>
                      <dt>
                        {trait?.display_name ?? key}
                        <span class="badge" title={`Type: ${trait ? TYPE_LABELS[trait.type] : 'unknown'}`}>
                          {trait ? TYPE_LABELS[trait.type] : '?'}
                        </span>
                      </dt>
                      <dd title={shown.title}>
                        {shown.href ? (
                          <a href={shown.href} rel="noopener noreferrer" target={shown.href.startsWith('http') ? '_blank' : undefined}>
                            {shown.text}
                          </a>
                        ) : (
                          shown.text
                        )}
                      </dd>
                    </div>
                  );
                })}
              </dl>
            )}
          </section>
        </>
      )}
      <ConfirmDialog
        open={confirming}
        title="Delete this customer?"
        confirmLabel="Delete permanently"
        busy={deleting}
        onConfirm={remove}
        onCancel={() => setConfirming(false)}
      >
        <p>
          The profile of <strong>{profile?.name ?? props.userId}</strong> and all its attributes are erased now. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
