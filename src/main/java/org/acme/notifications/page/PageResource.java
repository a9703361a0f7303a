package org.acme.notifications.page;

import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.runtime.LaunchMode;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.acme.notifications.NotificationsConfig;

/** The page at {@code /}: live notifications, who you are, your channels, and a form to send one. */
@Path("/")
public class PageResource {

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance index(int maxMessageBytes, boolean devTokens);
    }

    private final NotificationsConfig config;

    public PageResource(NotificationsConfig config) {
        this.config = config;
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance index() {
        // The sign-in form exists where DevTokenResource does: dev and test builds.
        return Templates.index(config.maxMessageBytes(), LaunchMode.current().isDevOrTest());
    }
}
