// The Slack adapter's public face for the composition root (src/service.ts):
//
//   const slack = createSlackSurface({ config, handlers, logger, app });  // mounts POST /slack/events (HTTP mode)
//   outbox senders: { slack: slack.sender }
//   await slack.start();   // auth.test; opens the WebSocket in Socket Mode
//   await slack.stop();    // on shutdown, before the database closes
export { createSlackSurface, type SlackSurface, type SlackSurfaceOptions } from './surface.ts';
export type { SlackSender } from './sender.ts';
export { renderView, renderHomeView } from './render.ts';
export { checkMessage, checkHome, LIMITS } from './limits.ts';
