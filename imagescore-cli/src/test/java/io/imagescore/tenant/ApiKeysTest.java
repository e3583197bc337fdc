package io.imagescore.tenant;

import io.imagescore.cli.ImageScoreCli;
import io.imagescore.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code cert} lines of the keys file: what they match on a real certificate, and how a bad one is reported. */
class ApiKeysTest {
    @TempDir
    Path tmp;

    @Test
    void cert_lines_match_a_certificate_by_subject_or_san_and_key_cert_prints_a_line_that_matches() throws Exception {
        Path p12 = tmp.resolve("c.p12");
        Path pem = tmp.resolve("c.pem");
        TestCertificates.selfSigned(p12, pem, "CN=Batch Runner, OU=ml, O=Acme\\, Inc.", "dns:batch.acme.test,ip:10.0.0.7");
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(pem)) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }

        StringWriter out = new StringWriter();
        CommandLine cli = ImageScoreCli.commandLine(new ImageScoreCli());
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("key", "--tenant", "acme", "--roles", "score", "--cert", pem.toString())).isZero();
        String line = out.toString().strip().substring("line: ".length());
        assertThat(line).isEqualTo("cert acme score subject=CN=Batch Runner,OU=ml,O=Acme\\, Inc.");

        ApiKeys.Credentials c = ApiKeys.parse(List.of(
                "cert other score subject=CN=Batch Runner,OU=ml,O=Someone Else",
                "cert other score san=dns:other.acme.test",
                line,
                "cert acme-dns configure san=dns:BATCH.acme.test",
                "cert acme-ip admin san=ip:10.0.0.7"));
        List<String> matching = c.certs().stream().filter(r -> r.matches(cert)).map(r -> r.entry().tenant()).toList();
        assertThat(matching).containsExactly("acme", "acme-dns", "acme-ip");
        assertThat(c.certs().get(2).entry()).isEqualTo(new ApiKeys.Entry("acme", Set.of(Role.SCORE)));
        assertThat(ApiKeys.parse(List.of("cert acme score subject=cn=batch runner,  ou=ML, o=ACME\\, inc."))
                .certs().getFirst().matches(cert)).as("canonical form: case and spacing fold").isTrue();
    }

    @Test
    void a_malformed_cert_line_names_its_line_number() {
        assertThatThrownBy(() -> ApiKeys.parse(List.of("# ok", "cert acme score")))
                .hasMessageStartingWith("line 2: expected 'cert <tenant>");
        assertThatThrownBy(() -> ApiKeys.parse(List.of("cert acme score subject=not a DN")))
                .hasMessageStartingWith("line 1:");
        assertThatThrownBy(() -> ApiKeys.parse(List.of("cert acme score san=x400:foo")))
                .hasMessage("line 1: expected 'subject=<DN>' or 'san=<dns|uri|email|ip>:<value>'");
        assertThatThrownBy(() -> ApiKeys.parse(List.of("cert ../etc score san=dns:a.test")))
                .hasMessage("line 1: invalid tenant name");
        assertThatThrownBy(() -> ApiKeys.parse(List.of("cert acme root san=dns:a.test")))
                .hasMessageStartingWith("line 1: unknown role 'root'");
    }
}
