// The CS tool's fixed vocabulary: categories, queues and labels with their keyboard shortcuts.

export const CATEGORIES = ['counterfeit', 'adult', 'cash', 'keyword_stuffing'];

export const QUEUES = [...CATEGORIES, 'user_reports'];
const QUEUE_NAMES = {
  counterfeit: 'Counterfeit',
  adult: 'Adult',
  cash: 'Cash / gift cards',
  keyword_stuffing: 'Keyword stuffing',
  user_reports: 'User reports',
  audit: 'Audit sample',
};

export function queueName(q) {
  return QUEUE_NAMES[q] || q;
}

/** What a reviewer can say about an item, and the key that says it. */
export const LABELS = [
  { key: '1', label: 'counterfeit', text: 'Counterfeit' },
  { key: '2', label: 'adult', text: 'Adult' },
  { key: '3', label: 'cash', text: 'Cash / gift card' },
  { key: '4', label: 'keyword_stuffing', text: 'Keyword stuffing' },
  { key: '5', label: 'other', text: 'Other violation' },
  { key: '0', label: 'no_violation', text: 'No violation', alt: 'n' },
];

export const OTHER_KEYS = [
  { keys: ['s'], text: 'Skip: give the item back and take the next' },
  { keys: ['/'], text: 'Write a note (keys type text while you do)' },
  { keys: ['Esc'], text: 'Leave the note field' },
];
