package io.imagescore.cli;

import io.imagescore.tenant.ApiKeys;
import io.imagescore.tenant.Role;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code imagescore key --tenant acme --roles score,configure}: a new API key and the line for the keys file; with
 * {@code --cert client.pem}, the line that maps that client certificate's subject instead.
 */
@CommandLine.Command(name = "key", mixinStandardHelpOptions = true,
        description = "Create an API key: prints the key (give it to the client, it is not stored) and the hash line to "
                + "append to the server's keys file (imagescore.security.api-keys-file). With --cert, prints the line "
                + "that maps a client certificate (PEM) to the tenant instead.")
public class KeyCommand implements Callable<Integer> {
    @CommandLine.Option(names = "--cert", description = "A client certificate (PEM): print its 'cert ... subject=' line, make no key.")
    Path cert;

    @CommandLine.Option(names = "--tenant", required = true, description = "Tenant the key acts for.")
    String tenant;

    @CommandLine.Option(names = "--roles", split = ",", defaultValue = "SCORE",
            description = "Comma-separated: ${COMPLETION-CANDIDATES} (default: score).")
    List<Role> roles;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, CertificateException {
        if (cert != null) {
            try (InputStream in = Files.newInputStream(cert)) {
                X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
                spec.commandLine().getOut().println("line: " + ApiKeys.certificateLine(tenant, EnumSet.copyOf(roles), c));
            }
            return 0;
        }
        ApiKeys.NewKey k = ApiKeys.create(tenant, EnumSet.copyOf(roles));
        spec.commandLine().getOut().println("key:  " + k.key());
        spec.commandLine().getOut().println("line: " + k.line());
        return 0;
    }
}
