// One listing of the organisation for the reads that ask while another is running (issue "Many keys at
// once", bench (c)). OpenAI's Admin API has no filter: a blast-radius read lists every registration and
// every project, so 1,000 runs reading at once listed a 1,010-key organisation 1,000 times over, and the
// parking of (c) never ended. A read joins only a listing that starts after it asked — never one already
// running, whose early pages may predate a registration made just before the read — so sharing never makes
// an answer staler than a read of its own: at most one listing runs per list, and one waits for it.

interface Slot<T> {
  running?: Promise<T>;
  /** The listing that starts when the running one ends, shared by every read that asked meanwhile. */
  next?: Promise<T>;
}

/** Shares `list` between the callers of one key (a path and its query) as the comment above says. */
export function sharedListings<T>() {
  const slots = new Map<string, Slot<T>>();

  function start(key: string, slot: Slot<T>, list: () => Promise<T>): Promise<T> {
    const running = list().finally(() => {
      if (slot.running === running) slot.running = undefined;
      if (!slot.running && !slot.next) slots.delete(key);
    });
    slot.running = running;
    return running;
  }

  return function listShared(key: string, list: () => Promise<T>): Promise<T> {
    const slot = slots.get(key) ?? {};
    slots.set(key, slot);
    if (!slot.running) return start(key, slot, list);
    slot.next ??= slot.running.then(ended, ended).then(() => {
      slot.next = undefined;
      return start(key, slot, list);
    });
    return slot.next;
  };
}

/** A listing's end, whatever its outcome: the next one starts after it either way. */
const ended = () => undefined;
