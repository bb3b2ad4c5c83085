"""udacity/deep-learning-v2-pytorch, intro-to-pytorch Part 8 (Transfer Learning solution) and
style-transfer (Style_Transfer_Solution) as users type them, with small untrained stand-ins
for torchvision's pretrained densenet121 / resnet50 / vgg19.features (the same attribute
names and layer indices: model.classifier, model.fc, features '0', '5', '10', '19', '21',
'28' behind in-place ReLUs), random images instead of the Cat_Dog data and the photos, as
``prog(L) -> (printed, values)`` for tests/test_programs_s20_udacity.py."""

from collections import OrderedDict

import numpy as np
from s16_yunjey_progs import Out
from s20_udacity_progs import _loader


def _tiny_resnet(L):
    nn = L.nn

    class TinyResNet(nn.Module):
        """resnet50's outline: conv1 / bn1 / relu / maxpool / a block / avgpool / fc."""

        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1, bias=False),
                                        nn.BatchNorm2d(16), nn.ReLU(inplace=True))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(16, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer1(x)
            x = self.avgpool(x)
            x = L.flatten(x, 1)
            return self.fc(x)

    return TinyResNet()


def transfer_learning(L):
    """Part 8 - Transfer Learning (Solution): freeze the pretrained parameters
    (param.requires_grad = False), replace model.classifier / model.fc, Adam over
    model.fc.parameters(), inputs.to(device), the training loop with its evaluation every
    few steps, `.to('cuda')` on a CPU-only build (the error), the 'cpu' timing loop."""
    torch = L
    nn, optim = L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)
        trainloader = _loader(L, 24, (3, 32, 32), 8, 20, classes=2)
        testloader = _loader(L, 16, (3, 32, 32), 8, 21, classes=2)

        model = nn.Module()
        model.features = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(inplace=True),
                                       nn.AdaptiveAvgPool2d(1), nn.Flatten())
        model.classifier = nn.Linear(16, 1000)
        for param in model.parameters():
            param.requires_grad = False
        classifier = nn.Sequential(OrderedDict([
                                  ('fc1', nn.Linear(16, 500)),
                                  ('relu', nn.ReLU()),
                                  ('fc2', nn.Linear(500, 2)),
                                  ('output', nn.LogSoftmax(dim=1))
                                  ]))
        model.classifier = classifier
        o.print(model)
        o.print([n for n, p in model.named_parameters() if p.requires_grad])

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        o.print(device, repr(device))
        o.tryit(lambda: torch.ones(2).to('cuda'))
        o.tryit(lambda: nn.Linear(2, 2).cuda())
        criterion = nn.NLLLoss()
        for device in ['cpu']:
            criterion = nn.NLLLoss()
            optimizer = optim.Adam(model.classifier.parameters(), lr=0.001)
            model.to(device)
            for ii, (inputs, labels) in enumerate(trainloader):
                inputs, labels = inputs.to(device), labels.to(device)
                outputs = model.classifier(model.features(inputs))
                loss = criterion(outputs, labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if ii == 1:
                    break
            o.print(f"Device = {device}")

        model = _tiny_resnet(L)
        for param in model.parameters():
            param.requires_grad = False
        model.fc = nn.Sequential(nn.Linear(16, 512),
                                 nn.ReLU(),
                                 nn.Dropout(0.2),
                                 nn.Linear(512, 2),
                                 nn.LogSoftmax(dim=1))
        criterion = nn.NLLLoss()
        optimizer = optim.Adam(model.fc.parameters(), lr=0.003)
        o.print(model.to(device))
        epochs = 2
        steps = 0
        running_loss = 0
        print_every = 2
        for epoch in range(epochs):
            for inputs, labels in trainloader:
                steps += 1
                inputs, labels = inputs.to(device), labels.to(device)
                optimizer.zero_grad()
                logps = model.forward(inputs)
                loss = criterion(logps, labels)
                loss.backward()
                optimizer.step()
                running_loss += loss.item()
                if steps % print_every == 0:
                    test_loss = 0
                    accuracy = 0
                    model.eval()
                    with torch.no_grad():
                        for inputs, labels in testloader:
                            inputs, labels = inputs.to(device), labels.to(device)
                            logps = model.forward(inputs)
                            batch_loss = criterion(logps, labels)
                            test_loss += batch_loss.item()
                            ps = torch.exp(logps)
                            top_p, top_class = ps.topk(1, dim=1)
                            equals = top_class == labels.view(*top_class.shape)
                            accuracy += torch.mean(equals.type(torch.FloatTensor)).item()
                    o.print(f"Epoch {epoch+1}/{epochs}.. "
                            f"Train loss: {running_loss/print_every:.3f}.. "
                            f"Test loss: {test_loss/len(testloader):.3f}.. "
                            f"Test accuracy: {accuracy/len(testloader):.3f}")
                    running_loss = 0
                    model.train()
        o.print(model.conv1.weight.grad, model.bn1.running_mean.shape,
                model.bn1.num_batches_tracked)
        o.vals += [model.fc[3].weight, model.bn1.running_var, model.layer1[1].running_mean]
    return o.done()


def style_transfer(L):
    """Style_Transfer_Solution.ipynb: requires_grad_(False) on the features, im_convert,
    get_features over model._modules.items() (the features kept before an in-place ReLU),
    gram_matrix with view / mm / t(), target = content.clone().requires_grad_(True),
    Adam([target]), the content and weighted style losses."""
    torch = L
    nn, optim = L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)
        cfg = [4, 4, 'M', 4, 4, 'M', 6, 6, 6, 6, 'M', 8, 8, 8, 8, 'M', 8]
        layers, c_in = [], 3
        for v in cfg:
            if v == 'M':
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(c_in, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                c_in = v
        vgg = nn.Sequential(*layers)
        for param in vgg.parameters():
            param.requires_grad_(False)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        vgg.to(device)
        o.print(vgg)

        rng = np.random.default_rng(22)
        mean = L.tensor((0.485, 0.456, 0.406)).view(3, 1, 1)
        std = L.tensor((0.229, 0.224, 0.225)).view(3, 1, 1)

        def load_image(seed_img):
            image = L.from_numpy(seed_img).float() / 255
            image = ((image - mean) / std)[:3, :, :].unsqueeze(0)
            return image

        content = load_image(rng.integers(0, 256, (3, 32, 32), dtype=np.uint8)).to(device)
        style = load_image(rng.integers(0, 256, (3, 32, 32), dtype=np.uint8)).to(device)

        def im_convert(tensor):
            image = tensor.to("cpu").clone().detach()
            image = image.numpy().squeeze()
            image = image.transpose(1, 2, 0)
            image = image * np.array((0.229, 0.224, 0.225)) + np.array((0.485, 0.456, 0.406))
            image = image.clip(0, 1)
            return image

        img = im_convert(content)
        o.print(img.shape, img.dtype)

        def get_features(image, model, layers=None):
            if layers is None:
                layers = {'0': 'conv1_1', '5': 'conv2_1', '10': 'conv3_1', '19': 'conv4_1',
                          '21': 'conv4_2', '28': 'conv5_1'}
            features = {}
            x = image
            for name, layer in model._modules.items():
                x = layer(x)
                if name in layers:
                    features[layers[name]] = x
            return features

        def gram_matrix(tensor):
            _, d, h, w = tensor.size()
            tensor = tensor.view(d, h * w)
            gram = torch.mm(tensor, tensor.t())
            return gram

        content_features = get_features(content, vgg)
        style_features = get_features(style, vgg)
        style_grams = {layer: gram_matrix(style_features[layer]) for layer in style_features}
        o.print({k: tuple(v.shape) for k, v in style_grams.items()})
        o.print(content_features['conv1_1'].min() >= 0)
        target = content.clone().requires_grad_(True).to(device)
        style_weights = {'conv1_1': 1., 'conv2_1': 0.75, 'conv3_1': 0.2, 'conv4_1': 0.2,
                         'conv5_1': 0.2}
        content_weight = 1
        style_weight = 1e6
        show_every = 2
        optimizer = optim.Adam([target], lr=0.003)
        steps = 6
        for ii in range(1, steps+1):
            target_features = get_features(target, vgg)
            content_loss = torch.mean((target_features['conv4_2'] -
                                       content_features['conv4_2'])**2)
            style_loss = 0
            for layer in style_weights:
                target_feature = target_features[layer]
                target_gram = gram_matrix(target_feature)
                _, d, h, w = target_feature.shape
                style_gram = style_grams[layer]
                layer_style_loss = style_weights[layer] * torch.mean((target_gram -
                                                                      style_gram)**2)
                style_loss += layer_style_loss / (d * h * w)
            total_loss = content_weight * content_loss + style_weight * style_loss
            optimizer.zero_grad()
            total_loss.backward()
            optimizer.step()
            if ii % show_every == 0:
                o.print('Total loss: {:.6g}'.format(total_loss.item()))  # ~1e4: 6 digits
        final = im_convert(target)
        o.print(final.shape, final.dtype)
        o.vals += [target, final]
    return o.done()
