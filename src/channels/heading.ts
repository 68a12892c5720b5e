import type { MessageContent } from './content.js';

/** A message's status word and title, and the two lines made of them: a headline and a subject. */
export function heading(
  tag: string,
  title: string,
): Pick<MessageContent, 'tag' | 'title' | 'headline' | 'subject'> {
  return { tag, title, headline: `${tag} ${title}`, subject: `[${tag}] ${title}` };
}
