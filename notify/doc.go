// Package notify is everything about notifications: the partners' webhook
// configuration (GET/PUT/DELETE /notifications/configuration with a
// reporting key, answered by the gateway itself), the receiver of the
// upstream's signed notifications, their fan-out to the partners whose
// scope covers each event, signed delivery at least once with retries and
// dead letters, and the notifications to approvers of pending admin
// requests.
package notify
