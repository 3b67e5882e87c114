/**
 * The console's shell: sign-in, then the views that fit the signed-in identity's role. Each view is
 * one person's job; the explorer is open to anyone.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Names } from './names.js';
import { ProofChecker } from './proofs.js';
import { closeSession, publicHttp, type Role, type Session } from './session.js';
import { SignIn } from './signin.js';
import { Account } from './views/account.js';
import { Clinician } from './views/clinician.js';
import { Consents } from './views/consents.js';
import { Explorer } from './views/explorer.js';
import { Onboarding } from './views/onboarding.js';
import { OrgReport } from './views/org-report.js';
import { Records } from './views/records.js';
import { ReviewQueue } from './views/review.js';
import { Staff } from './views/staff.js';
import { WhoLooked } from './views/who-looked.js';

type ViewId =
  | 'who-looked'
  | 'consents'
  | 'records'
  | 'account'
  | 'clinician'
  | 'review'
  | 'staff'
  | 'onboarding'
  | 'org-report'
  | 'explorer'
  | 'signin';

const TITLES: Record<ViewId, string> = {
  'who-looked': 'Who looked at my records',
  consents: 'My consents',
  records: 'My records',
  account: 'My account',
  clinician: 'My patients',
  review: 'Emergency access review',
  staff: 'My staff',
  onboarding: 'Register people',
  'org-report': 'Disclosures report',
  explorer: 'Chain explorer',
  signin: 'Sign in',
};

const VIEWS_OF: Record<Role, ViewId[]> = {
  patient: ['who-looked', 'consents', 'records', 'account', 'explorer'],
  organization: ['review', 'staff', 'onboarding', 'org-report', 'explorer'],
  practitioner: ['clinician', 'explorer'],
  operator: ['explorer'],
  public: ['explorer'],
};

/** The view named in the URL hash (#consents), so views can be linked and reloaded. */
const fromHash = (): ViewId | null => {
  const h = location.hash.slice(1);
  return h in TITLES ? (h as ViewId) : null;
};

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [view, setView] = useState<ViewId>(fromHash() ?? 'signin');
  const views: ViewId[] = session === null ? ['signin', 'explorer'] : VIEWS_OF[session.role];
  const shown: ViewId = views.includes(view) ? view : (views[0] as ViewId);
  const names = useMemo(() => new Names(session?.http ?? publicHttp()), [session]);
  const checker = useMemo(() => new ProofChecker(publicHttp()), []);

  useEffect(() => {
    const on = (): void => setView(fromHash() ?? shown);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, [shown]);

  useEffect(() => {
    document.title = `${TITLES[shown]} · MedChain console`;
  }, [shown]);

  const go = (v: ViewId): void => {
    setView(v);
    history.replaceState(null, '', `#${v}`);
  };

  const signedIn = (s: Session): void => {
    setSession(s);
    go(VIEWS_OF[s.role][0] as ViewId);
  };

  const signOut = (): void => {
    if (session !== null) closeSession(session).catch(() => {});
    setSession(null);
    go('signin');
  };

  return (
    <>
      <header class="top">
        <p class="brand">MedChain</p>
        {session !== null && (
          <p class="who">
            Signed in as <strong>{session.name}</strong> ({session.role}){' '}
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </p>
        )}
        <nav aria-label="Views">
          <ul>
            {views.map((v) => (
              <li key={v}>
                <a href={`#${v}`} aria-current={v === shown ? 'page' : undefined} onClick={() => go(v)}>
                  {TITLES[v]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main">
        <h1>{TITLES[shown]}</h1>
        {shown === 'signin' && <SignIn onSignedIn={signedIn} />}
        {shown === 'who-looked' && session !== null && <WhoLooked s={session} names={names} checker={checker} />}
        {shown === 'consents' && session !== null && <Consents s={session} names={names} />}
        {shown === 'records' && session !== null && <Records s={session} names={names} />}
        {shown === 'account' && session !== null && <Account s={session} onKeyRotated={signOut} />}
        {shown === 'clinician' && session !== null && <Clinician s={session} names={names} />}
        {shown === 'review' && session !== null && <ReviewQueue s={session} names={names} />}
        {shown === 'staff' && session !== null && <Staff s={session} names={names} />}
        {shown === 'onboarding' && session !== null && <Onboarding s={session} />}
        {shown === 'org-report' && session !== null && <OrgReport s={session} />}
        {shown === 'explorer' && <Explorer session={session} names={names} />}
      </main>
    </>
  );
}
