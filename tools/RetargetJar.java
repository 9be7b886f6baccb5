import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * java tools/RetargetJar.java IN.jar OUT.jar: copies IN to OUT with every class file older
 * than Java 8 (major version 52) rewritten as version 52, its stack maps computed by the
 * JDK's class-file API; the code itself is unchanged.
 *
 * <p>Why: the JDK's AOT cache cannot hold classes older than version 50 (they need the old
 * verifier), and picocli is compiled for Java 5, so each famfs command loaded, verified and
 * linked picocli's ~190 classes from its jar at every start. bin/famfs-train makes
 * target/cli-lib/ with this; only the one-shot class path (bin/lib.sh) uses it.
 */
public class RetargetJar {
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java tools/RetargetJar.java IN.jar OUT.jar");
            System.exit(2);
        }
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        ClassHierarchyResolver jarClasses = ClassHierarchyResolver.ofResourceParsing(
                new URLClassLoader(new URL[] {in.toUri().toURL()}, null));
        ClassFile cf = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                ClassHierarchyResolver.defaultResolver().orElse(jarClasses)));
        ClassTransform toJava8 = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                .andThen((builder, element) -> {
                    if (element instanceof ClassFileVersion) {
                        builder.withVersion(ClassFile.JAVA_8_VERSION, 0);
                    } else {
                        builder.with(element);
                    }
                });
        int rewritten = 0;
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(in));
             ZipOutputStream zout = new ZipOutputStream(Files.newOutputStream(tmp))) {
            for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                byte[] bytes = zin.readAllBytes();
                String name = e.getName();
                if (name.endsWith(".class") && !name.startsWith("META-INF/") && !name.endsWith("module-info.class")) {
                    ClassModel model = cf.parse(bytes);
                    if (model.majorVersion() < ClassFile.JAVA_8_VERSION) {
                        bytes = cf.transformClass(model, toJava8);
                        rewritten++;
                    }
                }
                zout.putNextEntry(new ZipEntry(name));
                zout.write(bytes);
                zout.closeEntry();
            }
        }
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        System.out.println("RetargetJar: " + rewritten + " classes of " + in.getFileName() + " now version 52");
    }
}
