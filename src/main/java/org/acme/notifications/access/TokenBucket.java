package org.acme.notifications.access;

/** A rate limit: up to {@code burst} at once, refilled at {@code perSecond}. */
public final class TokenBucket {

    private final double perNano;
    private final double burst;
    private double tokens;
    private long refilledAt;

    public TokenBucket(double perSecond, int burst) {
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.refilledAt = System.nanoTime();
    }

    public synchronized boolean tryTake() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - refilledAt) * perNano);
        refilledAt = now;
        if (tokens < 1) {
            return false;
        }
        tokens--;
        return true;
    }
}
