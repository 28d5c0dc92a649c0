// The service's own web pages: what a browser sees at the root address, and the privacy and terms
// pages the Teams app's About page links to (scripts/teams-package.ts fills PUBLIC_URL/privacy and
// PUBLIC_URL/terms by default). The HTTP adapter only lays these out.
export type SiteLink = { text: string; href: string };
export type SiteSection = { heading: string; paragraphs: string[]; items?: string[] };
export type SitePage = { title: string; intro: string; sections: SiteSection[]; links: SiteLink[] };

/** The paths these pages are served at; the Teams package's default links end in the last two. */
export const SITE_PATHS = { home: '/', privacy: '/privacy', terms: '/terms', health: '/healthz' } as const;

const footer: SiteLink[] = [
  { text: 'Home', href: SITE_PATHS.home },
  { text: 'Privacy', href: SITE_PATHS.privacy },
  { text: 'Terms', href: SITE_PATHS.terms },
];

export const HOME_PAGE: SitePage = {
  title: 'Xero Guard',
  intro:
    'Xero Guard watches your Xero connections and tells your team in Slack or Microsoft Teams the moment one breaks, with a button to repair it.',
  sections: [
    {
      heading: 'How to use it',
      paragraphs: [
        'There is nothing to do on this page. Talk to Xero Guard in chat: /xero help in Slack, or help in a chat with the bot in Teams.',
      ],
    },
  ],
  links: [{ text: 'Service health', href: SITE_PATHS.health }, ...footer.slice(1)],
};

export const PRIVACY_PAGE: SitePage = {
  title: 'Privacy',
  intro:
    'Xero Guard is run by the organisation that installed it, on its own server and database. It keeps only what it needs to watch and repair your Xero connections.',
  sections: [
    {
      heading: 'What it stores',
      paragraphs: [],
      items: [
        'The Xero access and refresh tokens of each connection, encrypted (AES-256-GCM). They are never written to logs or chat.',
        'The name and id of each Xero organisation, and the name and email Xero gives for the person who connected it.',
        'Chat ids: the Slack or Teams ids and display names of the people who connect, repair or ask about organisations, and the ids of the channels and chats it posts to.',
        'A log of every check and action: time, organisation, outcome, the error Xero gave, and who clicked what.',
      ],
    },
    {
      heading: 'What it does not do',
      paragraphs: [
        'It reads no invoices, transactions or other accounting records: its checks ask Xero only for the organisation and whether the connection works. Nothing is sold, nothing goes anywhere but to Xero and to your own Slack or Teams, and there is no tracking or advertising.',
      ],
    },
    {
      heading: 'Removing data',
      paragraphs: [
        'Disconnecting an organisation in chat revokes its authorisation in Xero where it can and erases its tokens here. The log rows stay, as a record of what happened. Ask whoever runs this service to remove anything else.',
      ],
    },
  ],
  links: footer,
};

export const TERMS_PAGE: SitePage = {
  title: 'Terms of use',
  intro: 'Xero Guard is run by the organisation that installed it, for its own team.',
  sections: [
    {
      heading: 'Using it',
      paragraphs: [
        'Use it to watch and repair the Xero connections your organisation allows it to hold. Who may connect, disconnect or pause an organisation is set by whoever runs the service.',
        'It is provided as is. It checks connections on a schedule, so a break can go unnoticed until the next check, and it cannot report anything while Xero, Slack or Teams cannot be reached.',
      ],
    },
    {
      heading: 'Xero',
      paragraphs: ['Xero Guard is not made or endorsed by Xero. Your use of Xero stays under your agreement with Xero.'],
    },
  ],
  links: footer,
};
