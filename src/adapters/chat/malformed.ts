// A request that passed the platform's authenticity check (or that the platform's SDK would check
// only after choking on it) but whose body is not one the platform ever sends: the sender's
// mistake, answered 400 with a code, on both platforms the same way. A 500 would read as our
// failure, and Slack and the Bot Framework retry those.
import type { Response } from 'express';

export function answerMalformed(res: Response, problem: string): void {
  res.status(400).json({ error: 'malformed_request', problem });
}
