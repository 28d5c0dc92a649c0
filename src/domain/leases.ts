// How long work held under a lease (a check, a message being sent, a grant being refreshed) stays
// claimed. Holders renew their leases while the work runs, so the term only has to cover a few
// missed renewals, not the longest piece of work: when a worker dies, its leases run out within
// the term and another worker (another replica, or this process restarted) takes the work over.
/** A lease not renewed for this long is free to take over. */
export const LEASE_TERM_MS = 15_000;
/** Holders renew this often: two renewals may go missing (a slow database) before the term ends. */
export const LEASE_RENEW_EVERY_MS = 5_000;
