package org.acme.notifications.access;

/** Why a socket may not do what it asked: a stable {@code code}, the matching HTTP status, and a sentence. */
public record Refusal(String code, int status, String detail) {
}
