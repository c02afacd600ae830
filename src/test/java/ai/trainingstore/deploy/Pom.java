package ai.trainingstore.deploy;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** pom.xml read with XPath (namespace-free), for the version and the "image" profile's Jib settings. */
final class Pom {

    private static final String JIB = "/project/profiles/profile[id='image']/build/plugins/plugin[artifactId='jib-maven-plugin']";

    private final Document document;
    private final XPath xpath = XPathFactory.newInstance().newXPath();

    private Pom(Document document) {
        this.document = document;
    }

    static Pom read() {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(false);
            return new Pom(factory.newDocumentBuilder().parse(new File("pom.xml")));
        } catch (Exception e) {
            throw new AssertionError("cannot read pom.xml", e);
        }
    }

    String version() {
        return text("/project/version");
    }

    /** A value from the Jib plugin of the "image" profile, ${...} of the profile's properties resolved. */
    String jib(String relative) {
        return resolve(text(JIB + "/" + relative));
    }

    List<String> jibList(String relative) {
        return texts(JIB + "/" + relative).stream().map(this::resolve).toList();
    }

    String text(String expression) {
        try {
            return ((String) xpath.evaluate(expression, document, XPathConstants.STRING)).trim();
        } catch (Exception e) {
            throw new AssertionError(expression, e);
        }
    }

    List<String> texts(String expression) {
        try {
            NodeList nodes = (NodeList) xpath.evaluate(expression, document, XPathConstants.NODESET);
            List<String> values = new ArrayList<>();
            for (int i = 0; i < nodes.getLength(); i++) {
                Node node = nodes.item(i);
                values.add(node.getTextContent().trim());
            }
            return values;
        } catch (Exception e) {
            throw new AssertionError(expression, e);
        }
    }

    private String resolve(String value) {
        String resolved = value;
        for (int i = 0; i < 5 && resolved.contains("${"); i++) {
            int start = resolved.indexOf("${");
            int end = resolved.indexOf('}', start);
            String name = resolved.substring(start + 2, end);
            String replacement = switch (name) {
                case "project.version" -> version();
                case "project.build.directory" -> "target";
                default -> text("/project/profiles/profile[id='image']/properties/" + name);
            };
            resolved = resolved.substring(0, start) + replacement + resolved.substring(end + 1);
        }
        return resolved;
    }
}
