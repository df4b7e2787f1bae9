import { useEffect, useState } from 'preact/hooks';
import { storedKey, storeKey, whenUnauthorized } from './api';
import { CustomerPage } from './pages/customer';
import { CustomersPage } from './pages/customers';
import { KeysPage } from './pages/keys';
import { SignIn } from './pages/sign-in';
import { TraitsPage } from './pages/traits';
import { href, useRoute } from './router';

const NAV = [
  { path: 'customers', label: 'Customers' },
  { path: 'traits', label: 'Traits' },
  { path: 'keys', label: 'API keys' },
] as const;

export function App() {
  const [key, setKey] = useState(storedKey);
  const [expired, setExpired] = useState(false);
  const route = useRoute();

  useEffect(() => {
    whenUnauthorized(() => {
      storeKey(null);
      setKey(null);
      setExpired(true);
    });
  }, []);

  function signOut() {
    storeKey(null);
    setKey(null);
    setExpired(false);
    location.hash = '';
  }

  if (!key) {
    return (
      <SignIn
        notice={expired ? 'Your key stopped working (revoked?). Sign in again.' : undefined}
        onSignedIn={(value) => {
          storeKey(value);
          setKey(value);
          setExpired(false);
          if (!location.hash) location.hash = '#/customers';
        }}
      />
    );
  }

  const [section = 'customers', id] = route.path;
  let page;
  if (section === 'customers' && id !== undefined) page = <CustomerPage userId={id} />;
  else if (section === 'traits') page = <TraitsPage />;
  else if (section === 'keys') page = <KeysPage currentKey={key} />;
  else page = <CustomersPage query={route.query} />;

  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(event) => { event.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={href(['customers'])}>
          <span class="brand-mark" aria-hidden="true" />
          Beacon
        </a>
        <nav aria-label="Sections">
          <ul class="nav">
            {NAV.map((item) => (
              <li key={item.path}>
                <a href={href([item.path])} aria-current={section === item.path ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="button ghost signout" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" class="main" tabIndex={-1}>
        {page}
      </main>
    </div>
  );
}
