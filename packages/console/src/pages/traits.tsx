import { useEffect, useState } from 'preact/hooks';
import { api, type Trait, type TraitFormat, type TraitType } from '../api';
import { ErrorNotice } from '../components';
import { FORMATS, relative, TYPE_LABELS } from '../format';

type Status = { state: 'saving' | 'saved' | 'error'; message?: string };

function TraitRow(props: { trait: Trait; onSaved: (trait: Trait) => void }) {
  const { trait } = props;
  const [name, setName] = useState(trait.display_name);
  const [status, setStatus] = useState<Status | null>(null);
  useEffect(() => setName(trait.display_name), [trait.display_name]);

  async function save(changes: Partial<Pick<Trait, 'display_name' | 'type' | 'format'>>) {
    setStatus({ state: 'saving' });
    try {
      props.onSaved(await api.updateTrait(trait.key, changes));
      setStatus({ state: 'saved' });
    } catch (caught) {
      setStatus({ state: 'error', message: caught instanceof Error ? caught.message : 'Not saved' });
      if (changes.display_name !== undefined) setName(trait.display_name);
    }
  }

  function commitName() {
    const value = name.trim();
    if (value === trait.display_name) return;
    if (value === '') return setName(trait.display_name);
    void save({ display_name: value });
  }

  const id = `trait-${trait.key}`;
  return (
    <tr data-key={trait.key}>
      <th scope="row" class="mono" id={id}>
        {trait.key}
      </th>
      <td>
        <input
          class="cell-input"
          aria-label={`Display name of ${trait.key}`}
          value={name}
          maxLength={100}
          onInput={(event) => setName((event.target as HTMLInputElement).value)}
          onBlur={commitName}
          onKeyDown={(event) => {
            if (event.key === 'Enter') (event.target as HTMLInputElement).blur();
            if (event.key === 'Escape') setName(trait.display_name);
          }}
        />
      </td>
      <td>
        <select
          aria-label={`Type of ${trait.key}`}
          value={trait.type}
          onChange={(event) => void save({ type: (event.target as HTMLSelectElement).value as TraitType })}
        >
          {(Object.keys(TYPE_LABELS) as TraitType[]).map((type) => (
            <option key={type} value={type}>
              {TYPE_LABELS[type]}
            </option>
          ))}
        </select>
      </td>
      <td>
        <select
          aria-label={`Format of ${trait.key}`}
          value={trait.format}
          onChange={(event) => void save({ format: (event.target as HTMLSelectElement).value as TraitFormat })}
        >
          {FORMATS[trait.type].map((format) => (
            <option key={format.value} value={format.value}>
              {format.label}
            </option>
          ))}
        </select>
      </td>
      <td class="num optional">{trait.customers}</td>
      <td class="optional" title={new Date(trait.last_seen * 1000).toLocaleString()}>
        {relative(trait.last_seen)}
      </td>
      <td class="status-cell" aria-live="polite">
        {status?.state === 'saving' ? <span class="muted">Saving…</span> : null}
        {status?.state === 'saved' ? <span class="ok">Saved</span> : null}
        {status?.state === 'error' ? (
          <span class="bad" title={status.message}>
            Not saved
          </span>
        ) : null}
      </td>
    </tr>
  );
}

export function TraitsPage() {
  const [traits, setTraits] = useState<Trait[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.traits().then((data) => setTraits(data.traits), setError);
  }, []);

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Traits</h1>
          <p class="muted">
            Every custom attribute key your project has stored. The key never changes; its display name, type and format decide how
            customer profiles show it.
          </p>
        </div>
      </div>
      <ErrorNotice error={error} />
      {traits !== null && traits.length === 0 ? (
        <section class="card empty">
          <h2>No traits yet</h2>
          <p>
            Traits appear here as soon as an identify call sends <code>custom_attributes</code>.
          </p>
        </section>
      ) : (
        <div class="card table-card">
          <table class="table traits">
            <caption class="sr-only">Traits catalog</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Display name</th>
                <th scope="col">Type</th>
                <th scope="col">Format</th>
                <th scope="col" class="num optional">Customers</th>
                <th scope="col" class="optional">Last seen</th>
                <th scope="col">
                  <span class="sr-only">Save status</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {traits === null
                ? Array.from({ length: 5 }, (_, i) => (
                    <tr key={i} class="skeleton" aria-hidden="true">
                      {Array.from({ length: 7 }, (__, j) => (
                        <td key={j}>
                          <span />
                        </td>
                      ))}
                    </tr>
                  ))
                : traits.map((trait) => (
                    <TraitRow
                      key={trait.key}
                      trait={trait}
                      onSaved={(saved) => setTraits((all) => (all ?? []).map((t) => (t.key === saved.key ? saved : t)))}
                    />
                  ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
