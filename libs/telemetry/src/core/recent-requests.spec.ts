import { RecentRequests } from './recent-requests.js';

const request = (
  method: string,
  outcome: 'ok' | 'deadline_exceeded' = 'ok',
) => ({ endedAt: 0, method, outcome, budgetMs: 100, spentMs: 1, hops: [] });

describe(RecentRequests.name, () => {
  it('lists requests newest first', () => {
    const sut = new RecentRequests({ capacity: 3 });
    sut.add(request('a'));
    sut.add(request('b'));
    expect(sut.list().map((r) => r.method)).toEqual(['b', 'a']);
  });

  it('keeps only the last `capacity` requests, however many arrive', () => {
    const sut = new RecentRequests({ capacity: 3 });
    for (let i = 0; i < 1_000; i++) sut.add(request(`r${i}`));
    expect(sut.list().map((r) => r.method)).toEqual(['r999', 'r998', 'r997']);
    expect(sut.get(1)).toBeUndefined();
  });

  it('gives each request an id that finds it while it is kept', () => {
    const sut = new RecentRequests();
    const stored = sut.add(request('a'));
    sut.add(request('b'));
    expect(sut.get(stored.id)?.method).toBe('a');
  });

  it('filters by outcome', () => {
    const sut = new RecentRequests();
    sut.add(request('a'));
    sut.add(request('b', 'deadline_exceeded'));
    expect(sut.list('deadline_exceeded').map((r) => r.method)).toEqual(['b']);
  });

  it('refuses a capacity that is not a positive whole number', () => {
    expect(() => new RecentRequests({ capacity: 0 })).toThrow(
      'RecentRequests: capacity must be a whole number ≥ 1, got 0',
    );
  });
});
