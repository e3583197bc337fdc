package io.imagescore.cli;

import io.imagescore.tenant.ApiKeys;
import io.imagescore.tenant.Role;
import picocli.CommandLine;

import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code imagescore key --tenant acme --roles score,configure}: a new API key and the line for the keys file. */
@CommandLine.Command(name = "key", mixinStandardHelpOptions = true,
        description = "Create an API key: prints the key (give it to the client, it is not stored) and the hash line to "
                + "append to the server's keys file (imagescore.security.api-keys-file).")
public class KeyCommand implements Callable<Integer> {
    @CommandLine.Option(names = "--tenant", required = true, description = "Tenant the key acts for.")
    String tenant;

    @CommandLine.Option(names = "--roles", split = ",", defaultValue = "SCORE",
            description = "Comma-separated: ${COMPLETION-CANDIDATES} (default: score).")
    List<Role> roles;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ApiKeys.NewKey k = ApiKeys.create(tenant, EnumSet.copyOf(roles));
        spec.commandLine().getOut().println("key:  " + k.key());
        spec.commandLine().getOut().println("line: " + k.line());
        return 0;
    }
}
