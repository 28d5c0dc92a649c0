// Links from a web page back into chat: Slack's app_redirect (opens the channel in the app or the
// browser) and a Teams deep link to the channel or chat. Built from stored ids only.
import type { ChannelRef } from './consent.ts';

export function channelUrl(channel: ChannelRef): string {
  if (channel.platform === 'slack') {
    const q = new URLSearchParams({ ...(channel.teamId ? { team: channel.teamId } : {}), channel: channel.externalId });
    return `https://slack.com/app_redirect?${q.toString()}`;
  }
  // A channel message's conversation id carries ";messageid=..."; the channel is the part before.
  const id = channel.externalId.split(';')[0]!;
  const tenant = channel.tenantId ? `?tenantId=${encodeURIComponent(channel.tenantId)}` : '';
  if (id.includes('@thread')) {
    if (id.startsWith('19:') && /@thread\.(tacv2|skype)$/.test(id) && !id.includes('meeting_')) {
      return `https://teams.microsoft.com/l/channel/${encodeURIComponent(id)}/${encodeURIComponent(channel.name ?? 'Xero Guard')}${tenant}`;
    }
    return `https://teams.microsoft.com/l/chat/${encodeURIComponent(id)}/conversations${tenant}`;
  }
  return `https://teams.microsoft.com/l/chat/${encodeURIComponent(id)}/conversations${tenant}`;
}
