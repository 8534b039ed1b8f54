import { useEffect, useState } from 'react';
import { currentSession, onSession, refresh, signOut, type SignedIn } from './api.ts';
import { screensFor, type Screen } from './access.ts';
import { SignInForm } from './SignInForm.tsx';
import { Dashboard } from './screens/Dashboard.tsx';
import { Alerts } from './screens/Alerts.tsx';
import { AuditTrail } from './screens/AuditTrail.tsx';
import { Products } from './screens/Products.tsx';
import { Orders } from './screens/Orders.tsx';
import { Users } from './screens/Users.tsx';

const VIEWS: Record<Screen['path'], () => React.JSX.Element> = { dashboard: Dashboard, alerts: Alerts, audit: AuditTrail, products: Products, orders: Orders, users: Users };
const pathOf = () => window.location.hash.replace(/^#\/?/, '');

export function App() {
  const [session, setSession] = useState<SignedIn | null>(currentSession());
  const [expired, setExpired] = useState(false);
  const [resuming, setResuming] = useState(true);
  const [path, setPath] = useState(pathOf());

  useEffect(() => {
    const off = onSession((s, lapsed) => {
      // A lapsed session keeps the last one's layout, so the screen and its inputs stay as they were.
      if (lapsed) return setExpired(true);
      setSession(s);
      setExpired(false);
    });
    // A reload keeps the session: the cookie the router holds is swapped for a fresh access token.
    void refresh().finally(() => setResuming(false));
    const onHash = () => setPath(pathOf());
    window.addEventListener('hashchange', onHash);
    return () => {
      off();
      window.removeEventListener('hashchange', onHash);
    };
  }, []);

  if (resuming) return <p className="centered">Loading…</p>;
  if (!session && !expired) return <SignInForm />;

  const screens = screensFor(session?.scopes ?? []);
  const screen = screens.find((s) => s.path === path) ?? screens[0];
  const View = screen ? VIEWS[screen.path] : null;
  return (
    <div className="shell">
      <header>
        <strong>Palisade</strong>
        <span className="who">{session?.user.email}</span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav aria-label="Main">
        <ul>
          {screens.map((s) => (
            <li key={s.path}>
              <a href={`#/${s.path}`} aria-current={s === screen ? 'page' : undefined}>
                {s.name}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main>{View ? <View /> : <p>This account has no console screens.</p>}</main>
      {expired && (
        // The screen stays mounted underneath: signing in again picks up where the operator was.
        <div className="overlay" role="dialog" aria-modal="true" aria-labelledby="expired-title">
          <SignInForm title="Your session has ended" titleId="expired-title" />
        </div>
      )}
    </div>
  );
}
