// The nock fake of Xero now lives in test/fakes/xero/ (one core shared with the HTTP fake that
// child processes and benchmarks use); this path stays for the tests that import it.
export { API, FakeXero, GRACE_MS, IDENTITY, installNock, interceptXeroOnly, ORGS, resetNock, type Fault, type Route } from '../../fakes/xero/nock.ts';
