package cn.paymux;

/** Notifications: {@code client.notifications()} (a payment's list is {@code payments().notifications(id)}). */
public final class NotificationService {
  private final RequestSender sender;

  NotificationService(RequestSender sender) {
    this.sender = sender;
  }

  /** POST /v1/notifications/{id}/resend: queues a new delivery (202). */
  public Notification resend(String notificationId) {
    String path = "/v1/notifications/" + Ids.segment("notificationId", notificationId) + "/resend";
    return new Notification(sender.send("POST", path, null, null));
  }
}
